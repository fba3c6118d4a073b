#include "proto/rtsp/digest.h"

#include <glib.h>
#include <strings.h>

namespace xl::rtsp {

std::string Md5Hex(std::string_view text) {
  gchar* hex = g_compute_checksum_for_data(G_CHECKSUM_MD5, reinterpret_cast<const guchar*>(text.data()), text.size());
  std::string out(hex);
  g_free(hex);
  return out;
}

std::map<std::string, std::string> ParseDigest(std::string_view h) {
  std::map<std::string, std::string> out;
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  if (h.size() < 7 || strncasecmp(h.data(), "Digest ", 7) != 0) return out;
  h.remove_prefix(7);
  while (!h.empty()) {
    while (!h.empty() && (h.front() == ' ' || h.front() == ',')) h.remove_prefix(1);
    const size_t eq = h.find('=');
    if (eq == std::string_view::npos) break;
    std::string name(h.substr(0, eq));
    while (!name.empty() && name.back() == ' ') name.pop_back();
    for (char& c : name) c = char(g_ascii_tolower(c));
    h.remove_prefix(eq + 1);
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    std::string value;
    if (!h.empty() && h.front() == '"') {
      h.remove_prefix(1);
      size_t i = 0;
      for (; i < h.size() && h[i] != '"'; ++i) {
        if (h[i] == '\\' && i + 1 < h.size()) ++i;
        value += h[i];
      }
      h.remove_prefix(std::min(h.size(), i + 1));
    } else {
      const size_t end = h.find(',');
      value = std::string(h.substr(0, end));
      while (!value.empty() && value.back() == ' ') value.pop_back();
      h.remove_prefix(end == std::string_view::npos ? h.size() : end);
    }
    out[name] = value;
  }
  return out;
}

bool DigestMatches(const std::map<std::string, std::string>& p, std::string_view method, std::string_view nonce,
                   std::string_view ha1) {
  auto get = [&](const char* k) -> std::string {
    auto it = p.find(k);
    return it == p.end() ? "" : it->second;
  };
  if (get("nonce") != nonce || get("response").empty()) return false;
  const std::string ha2 = Md5Hex(std::string(method) + ":" + get("uri"));
  const std::string qop = get("qop");
  const std::string expected = qop.empty() ? Md5Hex(std::string(ha1) + ":" + std::string(nonce) + ":" + ha2)
                                           : Md5Hex(std::string(ha1) + ":" + std::string(nonce) + ":" + get("nc") +
                                                    ":" + get("cnonce") + ":" + qop + ":" + ha2);
  const std::string response = get("response");
  if (response.size() != expected.size()) return false;
  unsigned diff = 0;  // constant time
  for (size_t i = 0; i < expected.size(); ++i) diff |= unsigned(g_ascii_tolower(response[i]) ^ expected[i]);
  return diff == 0;
}

}  // namespace xl::rtsp
