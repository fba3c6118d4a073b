// One camera's event clips: a rolling pre-capture buffer of the encoded stream and the
// clips being written from it.
//
//   Feed ──► [buffer: keyframe-aligned, ≥ pre + slack seconds] ──► clips open now
//                  ▲ Begin(event): the clip starts at the last keyframe ≤ start − pre
//                    End(event):   the clip stops at the first unit after end + post
//
// Times are wall-clock ms; a unit's time is when the worker received it, the same clock
// analytics stamps frames with. A clip never exceeds max_ms (then it is cut and logged).
// Thread-safe: Feed runs on the encoded streaming thread, Begin/End on the analytics one.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ingest/clips/clip_config.h"
#include "ingest/clips/clip_store.h"
#include "ingest/clips/clip_writer.h"
#include "ingest/encoded_unit.h"

namespace xl::ingest {

class ClipRecorder {
 public:
  // `label` names the camera in logs ("ID (name)"). `store` must outlive the recorder.
  ClipRecorder(ClipConfig config, std::string camera_id, std::string label, ClipStore& store);
  // Hands every open clip to the store as it stands.
  ~ClipRecorder();

  // The encoded stream, in order (`codec`: "h264" or "h265").
  void Feed(const StoredUnitPtr& unit, const char* codec);

  // An event started at `start_ms`: opens its clip. Returns the clip's path relative to
  // the store's folder (the file appears there once the clip is complete).
  std::string Begin(const std::string& event_id, int64_t start_ms);
  // The event ended at `end_ms`: its clip stops after end_ms + post_ms.
  void End(const std::string& event_id, int64_t end_ms);
  // Ends every open clip now (the stream stopped).
  void Close();

  // The buffered units from the last keyframe on, oldest first (empty when none is
  // buffered): what a live viewer starting now needs for a picture at once.
  std::vector<StoredUnitPtr> SinceLastKeyframe() const;

  size_t open_clips() const;
  int64_t buffered_bytes() const;

 private:
  struct Clip {
    std::string path;                    // absolute
    std::unique_ptr<ClipWriter> writer;  // null until a keyframe arrives
    int64_t stop_after_ms = INT64_MAX;   // end + post, once ended
    bool failed = false;
  };
  void Write(Clip& clip, const StoredUnitPtr& unit);
  void Trim(int64_t now_ms);

  ClipConfig config_;
  std::string camera_id_, label_;
  ClipStore& store_;
  std::string codec_;
  mutable std::mutex mu_;
  std::deque<StoredUnitPtr> buffer_;  // starts with a keyframe
  int64_t buffered_bytes_ = 0;
  std::map<std::string, Clip> clips_;  // by event id
};

}  // namespace xl::ingest
