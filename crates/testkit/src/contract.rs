//! The repository contract suite (being written).
