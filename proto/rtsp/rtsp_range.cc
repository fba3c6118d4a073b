#include "proto/rtsp/rtsp_range.h"

#include "common/wall_time.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include "common/text.h"

namespace xl::rtsp {
namespace {

// npt seconds ("12.5", "1:02:03.5") as ms; nullopt when malformed.
std::optional<int64_t> NptMs(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  int64_t total = 0, part = 0;
  bool digits = false;
  size_t i = 0;
  for (; i < s.size() && s[i] != '.'; ++i) {
    if (s[i] == ':') {
      if (!digits) return std::nullopt;
      total = (total + part) * 60;
      part = 0;
      digits = false;
    } else if (s[i] >= '0' && s[i] <= '9') {
      if (part > 1'000'000'000) return std::nullopt;
      part = part * 10 + (s[i] - '0');
      digits = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits && i == s.size()) return std::nullopt;
  int ms = 0;
  if (i < s.size()) {  // ".250": the fraction of a second, to the millisecond
    const std::string_view fraction = s.substr(i + 1);
    if (fraction.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    for (size_t k = 0, scale = 100; k < fraction.size() && k < 3; ++k, scale /= 10)
      ms += int(fraction[k] - '0') * int(scale);
  }
  return (total + part) * 1000 + ms;
}

}  // namespace

std::string ClockTime(int64_t wall_ms) {
  const int64_t s = wall_ms >= 0 ? wall_ms / 1000 : (wall_ms - 999) / 1000;
  const int ms = int(wall_ms - s * 1000);
  const std::time_t t = std::time_t(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%04d%02d%02dT%02d%02d%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return out;
}

std::optional<RtspRange> ParseRange(std::string_view header) {
  std::string_view s = TrimBlanks(header);
  s = TrimBlanks(s.substr(0, s.find(';')));
  const size_t eq = s.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  const std::string_view unit = TrimBlanks(s.substr(0, eq)), value = TrimBlanks(s.substr(eq + 1));
  RtspRange r;
  if (unit == "npt") {
    const size_t dash = value.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const std::string_view from = TrimBlanks(value.substr(0, dash)), to = TrimBlanks(value.substr(dash + 1));
    r.kind = RtspRange::Kind::kNpt;
    if (!from.empty() && from != "now") {
      r.from_ms = NptMs(from);
      if (!r.from_ms) return std::nullopt;
    }
    if (!to.empty()) {
      r.to_ms = NptMs(to);
      if (!r.to_ms) return std::nullopt;
    }
    return r;
  }
  if (unit != "clock") return std::nullopt;
  // The '-' between the times: the first one with a time (or nothing) on each side — the
  // extended ISO form and zone offsets have dashes of their own.
  r.kind = RtspRange::Kind::kClock;
  for (size_t dash = value.find('-'); dash != std::string_view::npos; dash = value.find('-', dash + 1)) {
    const std::string_view from = TrimBlanks(value.substr(0, dash)), to = TrimBlanks(value.substr(dash + 1));
    const auto f = from.empty() ? std::nullopt : ParseWallTime(from);
    const auto t = to.empty() ? std::nullopt : ParseWallTime(to);
    if ((from.empty() || f) && (to.empty() || t) && !(from.empty() && to.empty())) {
      r.from_ms = f;
      r.to_ms = t;
      return r;
    }
  }
  return std::nullopt;
}

std::optional<double> ParseScale(std::string_view header) {
  const std::string s(TrimBlanks(header).substr(0, 32));
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::string> QueryParam(std::string_view uri, std::string_view name) {
  const size_t q = uri.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = uri.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      auto hex = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
      };
      if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
        out += char(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
        i += 2;
      } else {
        out += raw[i];
      }
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace xl::rtsp
