#include "proto/media/fmp4_reader.h"

#include <algorithm>
#include <optional>

namespace xl::fmp4 {
namespace {

// A bounds-checked cursor over bytes: every read past the end sets `bad` and yields 0.
struct Cursor {
  std::string_view b;
  size_t at = 0;
  bool bad = false;

  bool Has(size_t n) const { return !bad && at <= b.size() && b.size() - at >= n; }
  uint64_t Read(size_t n) {
    if (!Has(n)) {
      bad = true;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | uint8_t(b[at + i]);
    at += n;
    return v;
  }
  uint8_t U8() { return uint8_t(Read(1)); }
  uint16_t U16() { return uint16_t(Read(2)); }
  uint32_t U32() { return uint32_t(Read(4)); }
  uint64_t U64() { return Read(8); }
  std::string_view Bytes(size_t n) {
    if (!Has(n)) {
      bad = true;
      return {};
    }
    std::string_view v = b.substr(at, n);
    at += n;
    return v;
  }
  void Skip(size_t n) { Bytes(n); }
};

// One box: its type, its payload, and where it starts and ends in the parent's bytes.
struct Box {
  std::string type;
  std::string_view payload;
  size_t start = 0, end = 0;
};

// The box at `at` in `bytes`; nullopt when it is cut short or malformed.
std::optional<Box> BoxAt(std::string_view bytes, size_t at) {
  Cursor c{bytes, at};
  uint64_t size = c.U32();
  const std::string_view type = c.Bytes(4);
  if (c.bad) return std::nullopt;
  size_t header = 8;
  if (size == 1) {
    size = c.U64();
    header = 16;
    if (c.bad) return std::nullopt;
  } else if (size == 0) {
    size = bytes.size() - at;
  }
  if (size < header || size > bytes.size() - at) return std::nullopt;
  return Box{std::string(type), bytes.substr(at + header, size - header), at, at + size};
}

// The children of a container box's payload, in order (stops at the first malformed one).
std::vector<Box> Children(std::string_view payload) {
  std::vector<Box> boxes;
  for (size_t at = 0; at < payload.size();) {
    auto box = BoxAt(payload, at);
    if (!box) break;
    at = box->end;
    boxes.push_back(std::move(*box));
  }
  return boxes;
}

std::optional<Box> Child(std::string_view payload, const char* type) {
  for (Box& b : Children(payload)) {
    if (b.type == type) return b;
  }
  return std::nullopt;
}

// Follows a path of container boxes ("mdia", "minf", ...) down from `payload`.
std::optional<Box> Find(std::string_view payload, std::initializer_list<const char*> path) {
  std::optional<Box> box;
  for (const char* type : path) {
    box = Child(payload, type);
    if (!box) return std::nullopt;
    payload = box->payload;
  }
  return box;
}

void AppendNal(std::string& out, std::string_view nal) {
  out.append("\0\0\0\1", 4);
  out.append(nal);
}

// The parameter sets of an avcC or hvcC record as Annex B, and its NAL length size.
std::optional<std::pair<std::string, uint32_t>> ParseRecord(h26x::Codec codec, std::string_view record) {
  Cursor c{record};
  std::string out;
  uint32_t length_size = 4;
  if (codec == h26x::Codec::kH264) {
    c.Skip(4);
    length_size = (c.U8() & 3) + 1;
    for (int list = 0; list < 2; ++list) {  // SPS, then PPS
      const unsigned count = list == 0 ? (c.U8() & 0x1F) : c.U8();
      for (unsigned i = 0; i < count && !c.bad; ++i) AppendNal(out, c.Bytes(c.U16()));
    }
  } else {
    c.Skip(21);
    length_size = (c.U8() & 3) + 1;
    const unsigned arrays = c.U8();
    for (unsigned a = 0; a < arrays && !c.bad; ++a) {
      c.Skip(1);
      const unsigned count = c.U16();
      for (unsigned i = 0; i < count && !c.bad; ++i) AppendNal(out, c.Bytes(c.U16()));
    }
  }
  if (c.bad || out.empty() || length_size == 3) return std::nullopt;
  return std::make_pair(out, length_size);
}

struct Defaults {
  uint32_t duration = 0, size = 0, flags = 0;
};

bool IsKeyframe(uint32_t flags) { return !(flags & 0x00010000); }

// `ticks` of `timescale` in microseconds (no overflow for any input: files may lie).
int64_t Micros(__int128 ticks, uint32_t timescale) {
  const __int128 us = ticks * 1000000 / timescale;
  constexpr __int128 kMax = INT64_MAX / 4;
  return int64_t(us > kMax ? kMax : us < -kMax ? -kMax : us);
}

}  // namespace

Result<Fmp4File> Fmp4File::Parse(std::string_view bytes) {
  Fmp4File f;
  bool have_init = false;
  Defaults trex;
  uint64_t next_decode = 0;  // in timescale units: where a fragment without tfdt starts
  std::optional<Box> pending_moof;
  std::vector<ReadSample> pending;  // samples of pending_moof, kept once its mdat is whole
  for (size_t at = 0; at < bytes.size();) {
    auto box = BoxAt(bytes, at);
    if (!box) break;  // cut short: the rest is not read
    at = box->end;
    if (box->type == "moov") {
      auto trak = Child(box->payload, "trak");
      auto mdhd = trak ? Find(trak->payload, {"mdia", "mdhd"}) : std::nullopt;
      auto stsd = trak ? Find(trak->payload, {"mdia", "minf", "stbl", "stsd"}) : std::nullopt;
      if (!mdhd || !stsd) return InvalidArgument("fMP4: the moov box has no video track");
      Cursor m{mdhd->payload};
      const unsigned version = m.U8();
      m.Skip(3 + (version == 1 ? 16 : 8));
      f.timescale_ = m.U32();
      if (m.bad || f.timescale_ == 0) return InvalidArgument("fMP4: bad mdhd box");
      if (stsd->payload.size() < 8) return InvalidArgument("fMP4: bad stsd box");
      auto entry = BoxAt(stsd->payload, 8);
      if (!entry) return InvalidArgument("fMP4: bad sample entry");
      if (entry->type == "avc1" || entry->type == "avc3") {
        f.codec_ = h26x::Codec::kH264;
      } else if (entry->type == "hvc1" || entry->type == "hev1") {
        f.codec_ = h26x::Codec::kH265;
      } else {
        return InvalidArgument("fMP4: the track is '" + entry->type + "', not H.264 or H.265");
      }
      Cursor e{entry->payload};
      e.Skip(24);
      f.width_ = e.U16();
      f.height_ = e.U16();
      if (e.bad || entry->payload.size() < 78) return InvalidArgument("fMP4: bad sample entry");
      auto config = Child(entry->payload.substr(78), f.codec_ == h26x::Codec::kH264 ? "avcC" : "hvcC");
      auto record = config ? ParseRecord(f.codec_, config->payload) : std::nullopt;
      if (!record) return InvalidArgument("fMP4: no readable avcC/hvcC record");
      f.parameter_sets_ = record->first;
      f.length_size_ = record->second;
      if (auto t = Find(box->payload, {"mvex", "trex"})) {
        Cursor c{t->payload};
        c.Skip(12);
        trex.duration = c.U32();
        trex.size = c.U32();
        trex.flags = c.U32();
      }
      have_init = true;
      f.whole_bytes_ = box->end;
    } else if (box->type == "moof" && have_init) {
      pending_moof = box;
      pending.clear();
      for (const Box& traf : Children(box->payload)) {
        if (traf.type != "traf") continue;
        Defaults d = trex;
        size_t base = box->start;
        uint64_t decode = next_decode;
        for (const Box& b : Children(traf.payload)) {
          Cursor c{b.payload};
          const uint32_t vf = c.U32();
          const uint32_t flags = vf & 0xFFFFFF;
          if (b.type == "tfhd") {
            c.Skip(4);  // track id
            if (flags & 0x1) base = size_t(c.U64());
            if (flags & 0x2) c.Skip(4);
            if (flags & 0x8) d.duration = c.U32();
            if (flags & 0x10) d.size = c.U32();
            if (flags & 0x20) d.flags = c.U32();
          } else if (b.type == "tfdt") {
            decode = (vf >> 24) == 1 ? c.U64() : c.U32();
          } else if (b.type == "trun") {
            const uint32_t count = c.U32();
            size_t data = base;
            if (flags & 0x1) data = base + size_t(int64_t(int32_t(c.U32())));  // (unsigned: wraps, never overflows)
            uint32_t first_flags = d.flags;
            const bool has_first = flags & 0x4;
            if (has_first) first_flags = c.U32();
            // No more samples than the box has fields for (a lying count must not run away).
            const size_t per_sample =
                4 * (((flags & 0x100) != 0) + ((flags & 0x200) != 0) + ((flags & 0x400) != 0) + ((flags & 0x800) != 0));
            const size_t room = c.b.size() - std::min(c.at, c.b.size());
            const size_t most = per_sample ? room / per_sample : size_t(1) << 16;
            for (uint32_t i = 0; i < count && i < most && !c.bad && data <= bytes.size(); ++i) {
              const uint32_t duration = (flags & 0x100) ? c.U32() : d.duration;
              const uint32_t size = (flags & 0x200) ? c.U32() : d.size;
              uint32_t sample_flags = (flags & 0x400) ? c.U32() : (i == 0 && has_first ? first_flags : d.flags);
              const int64_t cts = (flags & 0x800) ? ((vf >> 24) ? int64_t(int32_t(c.U32())) : int64_t(c.U32())) : 0;
              if (c.bad) break;
              ReadSample s;
              s.dts_us = Micros(__int128(decode), f.timescale_);
              s.pts_us = Micros(__int128(decode) + cts, f.timescale_);
              s.duration_us = Micros(duration, f.timescale_);
              s.keyframe = IsKeyframe(sample_flags);
              s.offset = data;
              s.size = size;
              pending.push_back(s);
              data += size;
              decode += duration;
            }
          }
        }
        next_decode = decode;
      }
    } else if (box->type == "mdat" && pending_moof) {
      for (const ReadSample& s : pending) {
        if (s.offset >= box->start && s.offset <= box->end && s.size <= box->end - s.offset) {
          f.samples_.push_back(s);
        }
      }
      pending.clear();
      pending_moof.reset();
      f.whole_bytes_ = box->end;
    }
  }
  if (!have_init) return InvalidArgument("fMP4: no init segment (ftyp/moov)");
  return f;
}

std::string Fmp4File::AccessUnit(std::string_view bytes, size_t index) const {
  const ReadSample& s = samples_[index];
  std::string out;
  if (s.keyframe) out = parameter_sets_;
  if (s.offset > bytes.size() || s.size > bytes.size() - s.offset) return out;
  Cursor c{bytes.substr(s.offset, s.size)};
  while (c.Has(length_size_)) {
    const std::string_view nal = c.Bytes(size_t(c.Read(length_size_)));
    if (c.bad) break;
    if (!nal.empty()) AppendNal(out, nal);
  }
  return out;
}

}  // namespace xl::fmp4
