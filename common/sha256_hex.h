// SHA-256 of bytes as lower-case hex (libsodium; whoever includes this links it). Evidence
// exports carry it in their manifest; `xl rec export` and tests check files against it.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>

namespace xl {

inline std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace xl
