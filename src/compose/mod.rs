//! Layered assembly and the offline composer.
