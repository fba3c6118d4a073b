// libFuzzer target: what an RTSP player sends on its control connection (router/live/
// rtsp_player.cc reads it with these parsers). Any bytes, in any chunking, give requests,
// skipped interleaved frames or a clear error — never a read out of bounds, never a buffer
// past the limits; Authorization headers parse and are checked without crashing, as do the
// Range and Scale headers and a playback URI's start time.
#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/rtsp/digest.h"
#include "proto/rtsp/rtsp_range.h"
#include "proto/rtsp/rtsp_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;  // as the network may cut it
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  xl::rtsp::RtspReader reader;
  size_t fed = 0;
  for (;;) {
    xl::rtsp::RtspRequest r;
    std::string error;
    const auto step = reader.Take(&r, &error);
    if (step == xl::rtsp::RtspReader::Step::kBroken) {
      if (error.empty()) __builtin_trap();
      return 0;
    }
    if (step == xl::rtsp::RtspReader::Step::kRequest) {
      if (r.body.size() > xl::rtsp::RtspReader::kMaxBody) __builtin_trap();
      (void)xl::rtsp::CameraOfUri(r.uri);
      if (auto start = xl::rtsp::QueryParam(r.uri, "start")) (void)xl::ParseWallTime(*start);
      if (const std::string* range = r.Header("Range")) {
        if (auto parsed = xl::rtsp::ParseRange(*range); parsed && parsed->from_ms) {
          (void)xl::rtsp::ClockTime(*parsed->from_ms);
        }
      }
      if (const std::string* scale = r.Header("Scale")) (void)xl::rtsp::ParseScale(*scale);
      if (const std::string* a = r.Header("Authorization")) {
        const auto params = xl::rtsp::ParseDigest(*a);
        (void)xl::rtsp::DigestMatches(params, r.method, "nonce", "0123456789abcdef0123456789abcdef");
      }
      continue;
    }
    if (step == xl::rtsp::RtspReader::Step::kInterleaved) continue;
    if (fed >= bytes.size()) return 0;
    reader.Append(bytes.substr(fed, chunk));
    fed += chunk;
  }
}
