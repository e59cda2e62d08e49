//! Payment schemes (being written).
