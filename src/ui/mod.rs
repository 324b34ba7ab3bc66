//! The Leptos app: one component a file, fed by the driver's signals.
