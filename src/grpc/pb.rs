//! Generated protobuf and tonic code for `proofline.v1`.
#![allow(clippy::all, missing_docs)]

tonic::include_proto!("proofline.v1");

/// The encoded file descriptor set, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("proofline_descriptor");
