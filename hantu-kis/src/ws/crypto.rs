//! Decryption of encrypted frames (order and fill notices): Base64, then AES-256-CBC with the
//! key and iv of the subscribe ack used as raw bytes, then PKCS#7 unpadding (§7.5).

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;

use crate::parse::ParseError;

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// The session's AES key and iv (from the subscribe ack). Prints redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct FrameCipher {
    key: [u8; 32],
    iv: [u8; 16],
}

impl std::fmt::Debug for FrameCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FrameCipher(***)")
    }
}

impl FrameCipher {
    /// From the ack's `output.key` (32 chars) and `output.iv` (16 chars).
    ///
    /// # Errors
    /// If the lengths are wrong.
    pub fn new(key: &str, iv: &str) -> Result<Self, ParseError> {
        let key: [u8; 32] = key.as_bytes().try_into().map_err(|_| ParseError {
            field: "output.key".into(),
            value: format!("{} bytes", key.len()),
            reason: "expected 32 bytes",
        })?;
        let iv: [u8; 16] = iv.as_bytes().try_into().map_err(|_| ParseError {
            field: "output.iv".into(),
            value: format!("{} bytes", iv.len()),
            reason: "expected 16 bytes",
        })?;
        Ok(Self { key, iv })
    }

    /// Decrypts a Base64 payload to text.
    ///
    /// # Errors
    /// If it is not Base64, does not decrypt with valid padding, or is not UTF-8.
    pub fn decrypt(&self, payload: &str) -> Result<String, ParseError> {
        let err =
            |reason| ParseError { field: "<frame>.payload".into(), value: payload.chars().take(64).collect(), reason };
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(payload.trim()).map_err(|_| err("expected Base64"))?;
        let plain = Aes256CbcDec::new(&self.key.into(), &self.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(&bytes)
            .map_err(|_| err("does not decrypt (wrong key/iv or padding)"))?;
        String::from_utf8(plain).map_err(|_| err("decrypted text is not UTF-8"))
    }

    /// Encrypts `text` the way KIS does (AES-256-CBC, PKCS#7, Base64): the server side of
    /// [`FrameCipher::decrypt`].
    #[must_use]
    pub fn encrypt(&self, text: &str) -> String {
        let bytes =
            Aes256CbcEnc::new(&self.key.into(), &self.iv.into()).encrypt_padded_vec_mut::<Pkcs7>(text.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}
