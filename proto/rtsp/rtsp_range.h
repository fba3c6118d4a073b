// Where an RTSP player asks to play a recording from: the Range header (RFC 2326 §12.29, in
// its "npt" and "clock" forms), the Scale header (§12.34), and the wall-clock times of a
// playback URL (rtsp://…/<camera>?start=2026-12-03T03:10:00). Liberal in the forms taken
// (players and NVR decoders differ), strict in what is written back. Pure functions: any
// input gives a value or nullopt, never a read out of bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/wall_time.h"

namespace xl::rtsp {

// Times of a playback URL and of clock ranges are read by ParseWallTime (common/wall_time.h).

// `wall_ms` as an RFC 2326 clock time, UTC, with milliseconds: "20261203T031000.250Z".
std::string ClockTime(int64_t wall_ms);

struct RtspRange {
  enum class Kind { kNpt, kClock } kind = Kind::kNpt;
  // npt: ms from the start of the presentation; clock: wall-clock ms. nullopt: "now" (npt),
  // or no start given ("npt=-10").
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;  // nullopt: open-ended
};
// A Range header's value: "npt=12.5-", "npt=now-", "npt=0.000-30", "npt=1:02:03.5-",
// "clock=20261203T031000Z-", "clock=20261203T031000Z-20261203T032000Z"; a ";time=…"
// parameter is ignored. nullopt for other units (smpte) or a malformed value.
std::optional<RtspRange> ParseRange(std::string_view header);

// A Scale header's value ("4", "0.5", "-1"); nullopt when it is not a finite number.
std::optional<double> ParseScale(std::string_view header);

// The value of query parameter `name` in an rtsp:// URI, percent-decoded ("+" stays "+": an
// ISO time's zone offset); nullopt when absent.
std::optional<std::string> QueryParam(std::string_view uri, std::string_view name);

}  // namespace xl::rtsp
