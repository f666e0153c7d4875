//! The memory store runs the conformance suite.

use std::sync::Arc;

use rustqueue_core::store::memory::MemoryStore;

rustqueue_store_tests::conformance_suite!(async { Arc::new(MemoryStore::new()) });
