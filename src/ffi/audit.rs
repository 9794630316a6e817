//! The audit trail in the C ABI.
