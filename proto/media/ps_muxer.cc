#include "proto/media/ps_muxer.h"

#include <algorithm>
#include <vector>

namespace xl::ps {

namespace {

// Writes fields most significant bit first.
class BitWriter {
 public:
  void Put(uint64_t value, int bits) {
    for (int i = bits - 1; i >= 0; --i) {
      current_ = uint8_t(current_ << 1 | ((value >> i) & 1));
      if (++used_ == 8) {
        out_.push_back(char(current_));
        current_ = 0;
        used_ = 0;
      }
    }
  }
  std::string Take() { return std::move(out_); }  // requires whole bytes

 private:
  std::string out_;
  uint8_t current_ = 0;
  int used_ = 0;
};

// CRC-32/MPEG-2: polynomial 0x04C11DB7, initial value all ones, no reflection.
uint32_t Crc32Mpeg(const std::string& bytes) {
  uint32_t crc = 0xffffffff;
  for (unsigned char c : bytes) {
    crc ^= uint32_t(c) << 24;
    for (int i = 0; i < 8; ++i) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc;
}

// A 33-bit clock value as MPEG splits it: 3, 15 and 15 bits, each followed by a marker bit.
void PutClock33(BitWriter& w, uint64_t t) {
  w.Put(t >> 30 & 0x7, 3);
  w.Put(1, 1);
  w.Put(t >> 15 & 0x7fff, 15);
  w.Put(1, 1);
  w.Put(t & 0x7fff, 15);
  w.Put(1, 1);
}

// A PES PTS or DTS: a 4-bit prefix, then the clock.
void PutTimestamp(BitWriter& w, int prefix, uint64_t t) {
  w.Put(prefix, 4);
  PutClock33(w, t);
}

constexpr uint32_t kMuxRate = 6106;  // × 50 bytes/s: 2.4 Mbit/s, a bound, not a promise

std::string PackHeader(uint64_t scr) {
  BitWriter w;
  w.Put(0x000001ba, 32);
  w.Put(1, 2);
  PutClock33(w, scr);
  w.Put(0, 9);  // SCR extension
  w.Put(1, 1);
  w.Put(kMuxRate, 22);
  w.Put(3, 2);
  w.Put(0x1f, 5);  // reserved
  w.Put(0, 3);     // no stuffing
  return w.Take();
}

std::string SystemHeader(bool audio) {
  BitWriter w;
  w.Put(0x000001bb, 32);
  w.Put(6 + (audio ? 6 : 3), 16);  // header length: one stream, or two
  w.Put(1, 1);
  w.Put(kMuxRate, 22);
  w.Put(1, 1);
  w.Put(audio ? 1 : 0, 6);  // audio bound
  w.Put(0, 1);              // fixed
  w.Put(0, 1);              // CSPS
  w.Put(1, 1);              // system audio lock
  w.Put(1, 1);              // system video lock
  w.Put(1, 1);
  w.Put(1, 5);  // video bound
  w.Put(0, 1);  // packet rate restriction
  w.Put(0x7f, 7);
  w.Put(0xe0, 8);  // the video stream: buffer bound 400 KiB
  w.Put(3, 2);
  w.Put(1, 1);
  w.Put(400, 13);
  if (audio) {
    w.Put(0xc0, 8);  // the audio stream: buffer bound 4 KiB (in 128-byte units)
    w.Put(3, 2);
    w.Put(0, 1);
    w.Put(32, 13);
  }
  return w.Take();
}

// A PES of `stream_id` carrying `payload` with a PTS.
std::string AudioPes(std::string_view payload, uint64_t pts) {
  BitWriter w;
  w.Put(0x000001c0, 32);
  w.Put(3 + 5 + payload.size(), 16);
  w.Put(2, 2);
  w.Put(0, 4);
  w.Put(1, 1);  // data alignment
  w.Put(0, 1);
  w.Put(2, 2);  // PTS only
  w.Put(0, 6);
  w.Put(5, 8);
  PutTimestamp(w, 2, pts);
  std::string out = w.Take();
  out.append(payload.data(), payload.size());
  return out;
}

}  // namespace

std::string StreamMap(const std::string& codec, bool with_g711a) {
  BitWriter w;
  w.Put(0x000001bc, 32);
  w.Put(with_g711a ? 18 : 14, 16);  // map length: the fields below and the CRC
  w.Put(1, 1);                      // current
  w.Put(3, 2);
  w.Put(0, 5);  // version
  w.Put(0x7f, 7);
  w.Put(1, 1);
  w.Put(0, 16);                   // program stream info length
  w.Put(with_g711a ? 8 : 4, 16);  // elementary stream map length
  w.Put(codec == "h265" ? 0x24 : 0x1b, 8);
  w.Put(0xe0, 8);
  w.Put(0, 16);  // elementary stream info length
  if (with_g711a) {
    w.Put(0x90, 8);  // G.711 A-law, as GB/T 28181 devices mark it
    w.Put(0xc0, 8);
    w.Put(0, 16);
  }
  std::string map = w.Take();
  const uint32_t crc = Crc32Mpeg(map);
  for (int shift : {24, 16, 8, 0}) map.push_back(char(crc >> shift & 0xff));
  return map;
}

std::string MuxPsPack(std::string_view access_unit, bool keyframe, const std::string& codec, uint64_t pts, uint64_t dts,
                      const PackExtras& extras) {
  pts &= (uint64_t(1) << 33) - 1;
  dts &= (uint64_t(1) << 33) - 1;
  const bool audio = !extras.g711a.empty();
  std::string out = PackHeader(dts);
  if (keyframe && extras.stream_map) {
    out += SystemHeader(audio);
    out += StreamMap(codec, audio);
  }
  if (audio) out += AudioPes(extras.g711a.substr(0, 4000), pts);
  constexpr size_t kMaxPes = 65535;
  const auto* data = reinterpret_cast<const uint8_t*>(access_unit.data());
  size_t left = access_unit.size();
  bool first = true;
  do {
    const size_t header_data = first ? 10 : 0;
    const size_t chunk = std::min(left, kMaxPes - 3 - header_data);
    BitWriter w;
    w.Put(0x000001e0, 32);
    w.Put(3 + header_data + chunk, 16);
    w.Put(2, 2);              // '10'
    w.Put(0, 2);              // not scrambled
    w.Put(0, 1);              // priority
    w.Put(first ? 1 : 0, 1);  // data alignment: the access unit starts here
    w.Put(0, 2);              // copyright, original
    w.Put(first ? 3 : 0, 2);  // PTS and DTS
    w.Put(0, 6);              // ESCR, ES rate, trick mode, additional copy, CRC, extension
    w.Put(header_data, 8);
    if (first) {
      PutTimestamp(w, 3, pts);
      PutTimestamp(w, 1, dts);
    }
    out += w.Take();
    out.append(reinterpret_cast<const char*>(data), chunk);
    data += chunk;
    left -= chunk;
    first = false;
  } while (left > 0);
  return out;
}

}  // namespace xl::ps
