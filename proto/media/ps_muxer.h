// MPEG-2 Program Stream (ISO/IEC 13818-1 §2.5) as GB/T 28181 devices send it: one pack per
// access unit — pack header, then (before keyframes) the system header and the program
// stream map naming the codec, then the access unit in PES packets of stream 0xE0 with its
// PTS and DTS. GStreamer's mpegpsmux cannot carry H.265, hence this small writer.
#pragma once

#include <cstdint>
#include <string>

#include <string_view>

namespace xl::ps {

// What a pack may carry beside the video, as devices differ.
struct PackExtras {
  bool stream_map = true;  // false: no system header or stream map, even before keyframes
  std::string g711a;       // G.711 A-law samples for an audio PES (stream 0xC0, type 0x90)
};

// One access unit of `codec` ("h264" or "h265", byte-stream with start codes) as a PS pack;
// a keyframe gets the system header and stream map. `pts_90k`/`dts_90k` are in 90 kHz ticks
// (33 bits are kept). Any bytes are accepted.
std::string MuxPsPack(std::string_view access_unit, bool keyframe, const std::string& codec, uint64_t pts_90k,
                      uint64_t dts_90k, const PackExtras& extras = {});

// A program stream map naming stream 0xE0 as `codec` ("h264" or "h265"), and 0xC0 as G.711
// A-law when `with_g711a`.
std::string StreamMap(const std::string& codec, bool with_g711a = false);

}  // namespace xl::ps
