//! Pure planning for the control plane: what to change in a distribution or which config to
//! create, decided without any I/O so it can be unit-tested on its own.
//!
//! The AWS calls that read the inputs and apply the results live in [`crate::aws`].

pub mod arn;
pub mod associations;
pub mod distribution;

/// Why a plan could not be made: a [`crate::error::Error`] (one error enum for the whole crate).
pub type PlanError = crate::error::Error;
