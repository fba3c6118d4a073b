// Bearer tokens for HTTP between our own processes (router → worker) and for scrapers.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "common/http_server.h"

namespace xl {

// 256 random bits as 64 hex digits, from the OS's random source.
inline std::string RandomToken() {
  std::random_device random;  // /dev/urandom (getrandom) on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 8; ++i) {
    for (uint32_t word = random(), n = 0; n < 8; ++n, word >>= 4) token += kHex[word & 15];
  }
  return token;
}

// True when `request` carries "Authorization: Bearer <token>" and `token` is not empty. Compares
// in time independent of where the texts differ.
inline bool BearerMatches(const HttpRequest& request, const std::string& token) {
  if (token.empty()) return false;
  const std::string given = request.header("authorization");
  const std::string expected = "Bearer " + token;
  if (given.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return diff == 0;
}

}  // namespace xl
