//! wasm32 exports for the Node.js Lambda@Edge handler (ABI in `edge::wasm_abi`).
edge::export_wasm_function!(crate::KeycloakHost);
