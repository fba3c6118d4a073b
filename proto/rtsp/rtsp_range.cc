#include "proto/rtsp/rtsp_range.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace xl::rtsp {
namespace {

// Reads exactly `n` digits at `*at`; advances past them.
std::optional<int> Digits(std::string_view s, size_t* at, size_t n) {
  if (*at + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*at + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  *at += n;
  return v;
}

// A fraction after '.' or ',' at `*at` as milliseconds (0 when there is none).
int FractionMs(std::string_view s, size_t* at) {
  if (*at >= s.size() || (s[*at] != '.' && s[*at] != ',')) return 0;
  ++*at;
  int ms = 0, scale = 100;
  while (*at < s.size() && s[*at] >= '0' && s[*at] <= '9') {
    ms += (s[*at] - '0') * scale;
    scale /= 10;
    ++*at;
  }
  return ms;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

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
  const int ms = FractionMs(s, &i);
  if (i != s.size()) return std::nullopt;
  return (total + part) * 1000 + ms;
}

}  // namespace

std::optional<int64_t> ParseWallTime(std::string_view text) {
  const std::string_view s = Trim(text);
  if (s.size() >= 10 && s.find_first_not_of("0123456789") == std::string_view::npos) {
    if (s.size() > 15) return std::nullopt;
    int64_t v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
  }
  size_t at = 0;
  const bool extended = s.size() > 4 && s[4] == '-';
  auto year = Digits(s, &at, 4);
  if (extended && at < s.size() && s[at] == '-') ++at;
  auto month = Digits(s, &at, 2);
  if (extended && at < s.size() && s[at] == '-') ++at;
  auto day = Digits(s, &at, 2);
  if (!year || !month || !day || at >= s.size() || (s[at] != 'T' && s[at] != 't' && s[at] != ' ')) return std::nullopt;
  ++at;
  auto hour = Digits(s, &at, 2);
  if (extended && at < s.size() && s[at] == ':') ++at;
  auto minute = Digits(s, &at, 2);
  std::optional<int> second = 0;
  if (at < s.size() && ((extended && s[at] == ':') || (!extended && s[at] >= '0' && s[at] <= '9'))) {
    if (extended) ++at;
    second = Digits(s, &at, 2);
  }
  if (!hour || !minute || !second) return std::nullopt;
  const int ms = FractionMs(s, &at);
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const int64_t days = DaysFromCivil(*year, *month, *day);
  const int64_t clock_s = int64_t(*hour) * 3600 + *minute * 60 + *second;
  if (at == s.size()) {  // no zone: local time
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    tm.tm_isdst = -1;
    const std::time_t t = std::mktime(&tm);
    if (t == std::time_t(-1)) return std::nullopt;
    return int64_t(t) * 1000 + ms;
  }
  int64_t offset_s = 0;
  if (s[at] == 'Z' || s[at] == 'z') {
    ++at;
  } else if (s[at] == '+' || s[at] == '-' || s[at] == ' ') {  // ' ': a '+' a query string turned into a space
    const int sign = s[at] == '-' ? -1 : 1;
    ++at;
    auto oh = Digits(s, &at, 2);
    std::optional<int> om = 0;
    if (at < s.size() && s[at] == ':') ++at;
    if (at < s.size()) om = Digits(s, &at, 2);
    if (!oh || !om || *oh > 14 || *om > 59) return std::nullopt;
    offset_s = sign * (int64_t(*oh) * 3600 + *om * 60);
  }
  if (at != s.size()) return std::nullopt;
  return ((days * 86400 + clock_s) - offset_s) * 1000 + ms;
}

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
  std::string_view s = Trim(header);
  s = Trim(s.substr(0, s.find(';')));
  const size_t eq = s.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  const std::string_view unit = Trim(s.substr(0, eq)), value = Trim(s.substr(eq + 1));
  RtspRange r;
  if (unit == "npt") {
    const size_t dash = value.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const std::string_view from = Trim(value.substr(0, dash)), to = Trim(value.substr(dash + 1));
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
    const std::string_view from = Trim(value.substr(0, dash)), to = Trim(value.substr(dash + 1));
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
  const std::string s(Trim(header).substr(0, 32));
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
