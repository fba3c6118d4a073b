// HTTP digest authentication as RTSP players use it (RFC 2617, MD5, with or without
// qop="auth"), checked against a stored HA1 = MD5(user:realm:password) so the password itself
// is never kept.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace xl::rtsp {

// The parameters of an `Authorization: Digest …` header (names lower-case, quotes removed);
// empty when the header is not a Digest one.
std::map<std::string, std::string> ParseDigest(std::string_view authorization);

// True when `params` (from ParseDigest) answer `nonce` for `method` with the user's `ha1`:
// the response is MD5(HA1:nonce:HA2) (or with nc:cnonce:qop), HA2 = MD5(method:uri), uri as
// the player sent it.
bool DigestMatches(const std::map<std::string, std::string>& params, std::string_view method, std::string_view nonce,
                   std::string_view ha1);

std::string Md5Hex(std::string_view text);

}  // namespace xl::rtsp
