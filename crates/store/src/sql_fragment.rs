//! Constant SQL fragments that keep a statement cacheable. `diesel::dsl::sql` marks the
//! whole statement unsafe to cache, so diesel prepares it again on every call (on
//! PostgreSQL a parse and a plan per read, the bulk of a one-statement read's cost); a
//! fragment made here is a constant, so the statement stays in the connection's cache.

/// Defines a zero-sized SQL expression type `$name` of SQL type `$sql_type` whose text is
/// the constant `$sql` (written into the statement as is: constants only, never input).
macro_rules! sql_fragment {
    ($(#[$doc:meta])* $name:ident: $sql_type:ty = $sql:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        pub(crate) struct $name;

        impl diesel::expression::Expression for $name {
            type SqlType = $sql_type;
        }

        impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        impl<QS> diesel::expression::SelectableExpression<QS> for $name {}

        impl<QS> diesel::expression::AppearsOnTable<QS> for $name {}

        impl<GB> diesel::expression::ValidGrouping<GB> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
    };
}
pub(crate) use sql_fragment;

/// Pushes each value as a bind parameter of its SQL type (`Type => value`), separated by
/// `, `, onto `$out` (a diesel `AstPass`); returns early with the first error.
macro_rules! push_binds {
    ($out:expr; $first_type:ty => $first:expr $(, $type:ty => $value:expr)* $(,)?) => {{
        $out.push_bind_param::<$first_type, _>($first)?;
        $(
            $out.push_sql(", ");
            $out.push_bind_param::<$type, _>($value)?;
        )*
    }};
}
pub(crate) use push_binds;

#[cfg(test)]
mod tests {
    use diesel::pg::Pg;
    use diesel::prelude::*;
    use diesel::query_builder::{QueryFragment, QueryId};
    use diesel::sql_types::Bool;

    use crate::schema::payments;

    sql_fragment!(Always: Bool = "1 = 1");

    fn static_id<T: QueryId>(_: &T) -> bool {
        T::HAS_STATIC_QUERY_ID
    }

    #[test]
    fn a_statement_with_a_fragment_stays_in_the_statement_cache() {
        let with_fragment = payments::table.filter(Always).select(payments::id);
        assert!(QueryFragment::<Pg>::is_safe_to_cache_prepared(&with_fragment, &Pg).unwrap());
        assert!(static_id(&with_fragment));
        // What it replaces: a `sql` literal makes the statement be prepared on every call.
        let with_literal = payments::table
            .filter(diesel::dsl::sql::<Bool>("1 = 1"))
            .select(payments::id);
        assert!(!QueryFragment::<Pg>::is_safe_to_cache_prepared(&with_literal, &Pg).unwrap());
    }
}
