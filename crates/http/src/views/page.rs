//! A page of a list as shown: the items, newest first, and the cursor of the next page.

use hostpay_domain::page::Page;
use serde::Serialize;

/// A page of a list, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct PageView<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
    /// Whether more items follow.
    pub has_more: bool,
}

impl<T> PageView<T> {
    /// The view of a page whose items were mapped already.
    pub fn of<U>(page: Page<U>, items: Vec<T>) -> PageView<T> {
        PageView {
            items,
            next_cursor: page.next_cursor,
            has_more: page.has_more,
        }
    }
}
