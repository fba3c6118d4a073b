// MPEG-2 Program Stream (ISO/IEC 13818-1 §2.5) as GB/T 28181 devices send it: one pack per
// access unit — pack header, then (before keyframes) the system header and the program
// stream map naming the codec, then the access unit in PES packets of stream 0xE0 with its
// PTS and DTS. GStreamer's mpegpsmux cannot carry H.265, hence this small writer.
#pragma once

#include <cstdint>
#include <string>

#include "tools/camsim/encoded_clip.h"

namespace xl::camsim {

// One access unit of `codec` ("h264" or "h265") as a PS pack. `pts_90k`/`dts_90k` are in
// 90 kHz ticks (33 bits are kept).
std::string MuxPsPack(const AccessUnit& unit, const std::string& codec, uint64_t pts_90k, uint64_t dts_90k);

}  // namespace xl::camsim
