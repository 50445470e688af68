//! Python bindings for hantu.
