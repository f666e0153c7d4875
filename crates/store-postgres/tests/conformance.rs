//! The PostgreSQL store runs the conformance suite, each case in its own schema.

mod common;

rustqueue_store_tests::conformance_suite!(common::fresh_store());
