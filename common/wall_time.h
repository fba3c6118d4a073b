// A wall-clock time as people, players and devices write it, read liberally. Pure function:
// any input gives a value or nullopt, never a read out of bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace xl {

// Milliseconds since 1970 (UTC) of
//   RFC 2326 clock:  20261203T031000Z, 20261203T031000.25Z
//   ISO 8601:        2026-12-03T03:10:00Z, 2026-12-03 03:10:00.5+08:00, 2026-12-03T03:10+0800,
//                    2026-12-03T03:10:00 (no zone: the process's local time zone, as GB/T
//                    28181 devices write their times)
//   milliseconds:    1796267400000 (ten digits or more)
// nullopt for anything else, or a field out of range (month 13, minute 60, …).
std::optional<int64_t> ParseWallTime(std::string_view text);

}  // namespace xl
