// One MP4 file cut from a camera's encoded stream, without re-encoding:
//   appsrc (Annex B access units) → h264parse | h265parse → mp4mux (moov first) → filesink
// The result is a plain (not fragmented) MP4 with its index at the front, which browsers
// play from a <video src> and ffprobe reads. It is written as "<path>.part" and renamed to
// `path` only when complete, so a file at `path` is always whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/gst_handles.h"
#include "common/status.h"

namespace xl::ingest {

// An access unit kept for clips: shared by the pre-capture buffer and every clip writing it.
struct StoredUnit {
  std::string bytes;    // Annex B
  int64_t pts_us = -1;  // stream time; -1 when unknown
  int64_t dts_us = -1;
  bool keyframe = false;
  int64_t arrival_ms = 0;  // wall clock when the worker received it
};
using StoredUnitPtr = std::shared_ptr<const StoredUnit>;

// A copy of `unit` received at `arrival_ms`.
inline StoredUnitPtr StoreUnit(const uint8_t* data, size_t size, int64_t pts_us, int64_t dts_us, bool keyframe,
                               int64_t arrival_ms) {
  auto stored = std::make_shared<StoredUnit>();
  stored->bytes.assign(reinterpret_cast<const char*>(data), size);
  stored->pts_us = pts_us;
  stored->dts_us = dts_us;
  stored->keyframe = keyframe;
  stored->arrival_ms = arrival_ms;
  return stored;
}

class ClipWriter {
 public:
  // Starts writing `path` (".part" until Finish). `codec` is "h264" or "h265". Fails when
  // a GStreamer element is missing or the folder cannot be written. Requires gst_init().
  static Result<std::unique_ptr<ClipWriter>> Create(const std::string& path, const std::string& codec);
  // Stops the pipeline; a clip not finished is removed.
  ~ClipWriter();
  ClipWriter(const ClipWriter&) = delete;
  ClipWriter& operator=(const ClipWriter&) = delete;

  // Queues one access unit; the first must be a keyframe, timestamps must not go back.
  // Never blocks (the file is written on the writer's own streaming thread). One thread
  // at a time.
  void Push(const StoredUnitPtr& unit);

  // Ends the stream, waits until the file is complete (at most `timeout_ms`), renames it
  // to path(). Blocks; call from a thread that may wait. Fails on a write error or timeout
  // (the partial file is removed).
  Status Finish(int64_t timeout_ms = 20000);

  const std::string& path() const { return path_; }
  int64_t first_arrival_ms() const { return first_arrival_ms_; }
  int64_t last_arrival_ms() const { return last_arrival_ms_; }
  int64_t units() const { return units_; }

 private:
  ClipWriter() = default;

  std::string path_;
  gst::ElementPtr pipeline_;
  GstElement* src_ = nullptr;  // owned by pipeline_
  int64_t base_us_ = -1;       // stream time of the clip's first unit
  int64_t first_arrival_ms_ = 0, last_arrival_ms_ = 0;
  int64_t units_ = 0;
  bool finished_ = false;
};

}  // namespace xl::ingest
