//! The `hantu` command.

fn main() {}
