#include "common/wall_time.h"

#include <ctime>

#include "common/text.h"

namespace xl {
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

}  // namespace

std::optional<int64_t> ParseWallTime(std::string_view text) {
  const std::string_view s = TrimBlanks(text);
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

}  // namespace xl
