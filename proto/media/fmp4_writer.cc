#include "proto/media/fmp4_writer.h"

#include <algorithm>

#include <initializer_list>

namespace xl::fmp4 {

namespace {

constexpr uint32_t kTimescale = 90000;

void U8(std::string& b, unsigned v) { b += char(v); }
void U16(std::string& b, unsigned v) { U8(b, v >> 8), U8(b, v); }
void U32(std::string& b, uint32_t v) { U16(b, v >> 16), U16(b, v & 0xFFFF); }
void U64(std::string& b, uint64_t v) { U32(b, uint32_t(v >> 32)), U32(b, uint32_t(v)); }
void Zeros(std::string& b, size_t n) { b.append(n, '\0'); }

// A box: size, type, then the payload.
std::string Box(const char* type, const std::string& payload) {
  std::string b;
  U32(b, uint32_t(8 + payload.size()));
  b.append(type, 4);
  return b + payload;
}
// A full box: version and flags first.
std::string FullBox(const char* type, unsigned version, uint32_t flags, const std::string& payload) {
  std::string head;
  U32(head, (uint32_t(version) << 24) | flags);
  return Box(type, head + payload);
}
std::string Join(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}
void Matrix(std::string& b) {
  for (uint32_t v : {0x00010000u, 0u, 0u, 0u, 0x00010000u, 0u, 0u, 0u, 0x40000000u}) U32(b, v);
}

int64_t DecodeTime(const Sample& s) { return s.dts_us >= 0 ? s.dts_us : s.pts_us; }

}  // namespace

Fmp4Writer::Fmp4Writer(h26x::Codec codec) : codec_(codec) {}

bool Fmp4Writer::Learn(std::string_view keyframe, uint32_t width, uint32_t height) {
  if (init_) return true;
  const h26x::ParameterSets ps = h26x::FindParameterSets(codec_, keyframe);
  if (!ps.complete(codec_)) return false;
  auto record = h26x::ConfigurationRecord(codec_, ps);
  auto codec_string = h26x::CodecString(codec_, ps);
  if (!record || !codec_string) return false;
  codec_string_ = *codec_string;
  width_ = width;
  height_ = height;
  const bool h265 = codec_ == h26x::Codec::kH265;

  std::string ftyp;
  ftyp += "isom";
  U32(ftyp, 0x200);
  ftyp += "isomiso6mp41";
  ftyp += h265 ? "hvc1" : "avc1";

  std::string mvhd;
  Zeros(mvhd, 8);  // creation, modification
  U32(mvhd, 1000);
  U32(mvhd, 0);
  U32(mvhd, 0x00010000);  // rate
  U16(mvhd, 0x0100);      // volume
  Zeros(mvhd, 10);
  Matrix(mvhd);
  Zeros(mvhd, 24);
  U32(mvhd, 2);  // next track id

  std::string tkhd;
  Zeros(tkhd, 8);
  U32(tkhd, 1);  // track id
  Zeros(tkhd, 4);
  U32(tkhd, 0);  // duration
  Zeros(tkhd, 8);
  U16(tkhd, 0), U16(tkhd, 0), U16(tkhd, 0), U16(tkhd, 0);  // layer, group, volume, reserved
  Matrix(tkhd);
  U32(tkhd, width_ << 16);
  U32(tkhd, height_ << 16);

  std::string mdhd;
  Zeros(mdhd, 8);
  U32(mdhd, kTimescale);
  U32(mdhd, 0);
  U16(mdhd, 0x55C4);  // "und"
  U16(mdhd, 0);

  std::string hdlr;
  U32(hdlr, 0);
  hdlr += "vide";
  Zeros(hdlr, 12);
  hdlr += std::string("VideoHandler", 13);

  std::string vmhd;
  Zeros(vmhd, 8);
  std::string dref;
  U32(dref, 1);
  dref += FullBox("url ", 0, 1, "");

  std::string entry;
  Zeros(entry, 6);
  U16(entry, 1);  // data reference index
  Zeros(entry, 16);
  U16(entry, width_);
  U16(entry, height_);
  U32(entry, 0x00480000);
  U32(entry, 0x00480000);
  U32(entry, 0);
  U16(entry, 1);     // frame count
  Zeros(entry, 32);  // compressor name
  U16(entry, 0x0018);
  U16(entry, 0xFFFF);
  entry += Box(h265 ? "hvcC" : "avcC", *record);
  std::string stsd;
  U32(stsd, 1);
  stsd += Box(h265 ? "hvc1" : "avc1", entry);
  std::string empty4, empty8;
  U32(empty4, 0);
  U64(empty8, 0);

  const std::string stbl =
      Box("stbl", Join({FullBox("stsd", 0, 0, stsd), FullBox("stts", 0, 0, empty4), FullBox("stsc", 0, 0, empty4),
                        FullBox("stsz", 0, 0, empty8), FullBox("stco", 0, 0, empty4)}));
  const std::string minf =
      Box("minf", Join({FullBox("vmhd", 0, 1, vmhd), Box("dinf", FullBox("dref", 0, 0, dref)), stbl}));
  const std::string mdia = Box("mdia", Join({FullBox("mdhd", 0, 0, mdhd), FullBox("hdlr", 0, 0, hdlr), minf}));
  const std::string trak = Box("trak", Join({FullBox("tkhd", 0, 3, tkhd), mdia}));
  std::string trex;
  U32(trex, 1), U32(trex, 1), U32(trex, 0), U32(trex, 0), U32(trex, 0);
  const std::string mvex = Box("mvex", FullBox("trex", 0, 0, trex));
  init_ = Box("ftyp", ftyp) + Box("moov", Join({FullBox("mvhd", 0, 0, mvhd), trak, mvex}));
  return true;
}

std::string Fmp4Writer::Fragment(const Sample& v) {
  // The sample: length-prefixed NAL units, parameter sets left to the init segment.
  std::string sample;
  for (std::string_view nal : h26x::SplitAnnexB(v.annexb)) {
    if (h26x::IsParameterSetOrAud(codec_, nal)) continue;
    U32(sample, uint32_t(nal.size()));
    sample.append(nal);
  }
  const int64_t dts = DecodeTime(v);
  if (base_us_ < 0) base_us_ = dts;
  if (dts > last_dts_us_) {  // (a GOP replayed to a new viewer goes back in time: keep the estimate)
    if (last_dts_us_ >= 0) last_duration_ = uint32_t((dts - last_dts_us_) * kTimescale / 1000000);
    last_dts_us_ = dts;
  }
  const uint64_t decode_time = uint64_t(std::max<int64_t>(0, dts - base_us_)) * kTimescale / 1000000;
  const int32_t cts = v.pts_us >= 0 && v.dts_us >= 0 ? int32_t((v.pts_us - v.dts_us) * kTimescale / 1000000) : 0;

  std::string mfhd;
  U32(mfhd, ++sequence_);
  std::string tfhd;
  U32(tfhd, 1);  // track id
  std::string tfdt;
  U64(tfdt, decode_time);
  std::string trun;
  U32(trun, 1);  // one sample
  const size_t data_offset_at = trun.size();
  U32(trun, 0);  // data offset, patched below
  U32(trun, v.duration_us > 0 ? uint32_t(v.duration_us * kTimescale / 1000000) : last_duration_);
  U32(trun, uint32_t(sample.size()));
  U32(trun, v.keyframe ? 0x02000000 : 0x01010000);  // depends on nothing / is a non-sync sample
  U32(trun, uint32_t(cts));
  std::string traf_body = Join({FullBox("tfhd", 0, 0x020000, tfhd), FullBox("tfdt", 1, 0, tfdt)});
  // trun with data-offset, duration, size, flags and composition offset (version 1: signed).
  const std::string trun_box = FullBox("trun", 1, 0x000F01, trun);
  std::string moof = Box("moof", Join({FullBox("mfhd", 0, 0, mfhd), Box("traf", traf_body + trun_box)}));
  // Patch the data offset: from the start of moof to the first sample byte.
  const uint32_t offset = uint32_t(moof.size() + 8);
  const size_t at = moof.size() - trun_box.size() + 12 + data_offset_at;
  for (int i = 0; i < 4; ++i) moof[at + size_t(i)] = char(offset >> (24 - 8 * i));
  return moof + Box("mdat", sample);
}

}  // namespace xl::fmp4
