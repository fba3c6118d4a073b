// One recording segment being written: a fragmented MP4 (proto/media/fmp4_writer.h) of the
// camera's own bitstream, one fragment per access unit, appended through a stdio buffer that
// is flushed to the kernel at least every second — so a crash of the worker loses at most the
// last second, and whatever reached the file reads back up to its last whole fragment
// (proto/media/fmp4_reader.h).
//
// Times: a unit's wall-clock time is the segment's start plus its stream time since the
// segment's first unit (stream clocks do not drift against the wall within a segment).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/media/fmp4_writer.h"

namespace xl::ingest {

class SegmentFile {
 public:
  // Creates `path` (its folder too) and writes the init segment learnt from `keyframe`
  // (Annex B with its parameter sets). Errors: kInvalidArgument when the keyframe lacks
  // parameter sets; kResourceExhausted when the disk is full; kUnavailable when the folder
  // cannot be written (missing, read-only, no permission) — the message says which.
  static Result<std::unique_ptr<SegmentFile>> Create(const std::string& path, h26x::Codec codec,
                                                     std::string_view keyframe, uint32_t width, uint32_t height,
                                                     int64_t start_ms, int64_t stream_us);
  ~SegmentFile();  // closes the file (what is written stays)
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  // Appends one access unit at stream time `stream_us` (dts, or pts when there is none).
  // Errors as for Create.
  Status Write(std::string_view annexb, int64_t stream_us, int64_t pts_us, bool keyframe);
  // Hands what is buffered to the kernel.
  Status Flush();

  // The wall-clock time of stream time `stream_us`.
  int64_t WallMs(int64_t stream_us) const { return start_ms_ + (stream_us - first_stream_us_) / 1000; }
  int64_t start_ms() const { return start_ms_; }
  // Where the segment ends: the last unit's time plus one frame.
  int64_t end_ms() const { return end_ms_; }
  int64_t last_stream_us() const { return last_stream_us_; }
  int64_t bytes() const { return bytes_; }
  const std::vector<int64_t>& keyframes_ms() const { return keyframes_ms_; }

 private:
  SegmentFile(h26x::Codec codec) : writer_(codec) {}
  Status Append(const std::string& bytes);

  std::string path_;
  FILE* file_ = nullptr;
  fmp4::Fmp4Writer writer_;
  int64_t start_ms_ = 0, end_ms_ = 0;
  int64_t first_stream_us_ = 0, last_stream_us_ = -1;
  int64_t frame_us_ = 40000;  // the last gap between units: one frame
  int64_t bytes_ = 0;
  std::vector<int64_t> keyframes_ms_;
};

// The error of a failed file operation (errno `err`) on `path`: kResourceExhausted for a full
// disk, kUnavailable otherwise.
Error FileError(const std::string& path, int err);

}  // namespace xl::ingest
