// How well a motion detector does on one evaluation clip, scored as an operator sees it:
// frames whose object it boxed, object passes that raised an event with a box on the
// object, false events, and frames that reported motion with no box on an object ("wolf"
// frames). A false event is one the detector would raise from its wolf frames alone: an
// event tracker with the worker's settings fed "wolf frame or not" — so a detector that
// cries wolf all day in one endless event scores one, and one that does it in bursts
// scores a burst each.
#pragma once

#include <memory>
#include <vector>

#include "analytics/event_tracker.h"
#include "analytics/motion_detector.h"
#include "tools/motion_eval/eval_set.h"

namespace xl::motion_eval {

struct ClipScore {
  int object_frames = 0;    // frames with an object in view
  int detected_frames = 0;  // of those, frames with a box on one
  int passes = 0;
  int passes_raised = 0;  // passes during which an open event had a box on the object
  int events = 0;
  int false_events = 0;  // events raised by boxes on no object alone (see ClipScorer)
  int frames = 0;
  int wolf_frames = 0;  // frames with motion boxes, none of them on an object
  double seconds = 0;
  double max_suppressed = 0;  // largest suppressed share of the view reported

  double frame_recall() const { return object_frames ? double(detected_frames) / object_frames : 0; }
  double pass_recall() const { return passes ? double(passes_raised) / passes : 0; }
  double false_per_hour() const { return seconds > 0 ? false_events * 3600.0 / seconds : 0; }
  double wolf_share() const { return frames ? double(wolf_frames) / frames : 0; }
};

// A box is on an object when at least half of it is the object (a box on a walker's head),
// or when it covers at least 30 % of the object and at least 20 % of it is the object (so a
// box over the whole view is not on everything); any box is on an object whose place is
// not known (empty box).
bool OnObject(const cv::Rect& box, const Truth& object);

// Feeds one clip's frames to one detector, with events as the worker makes them
// (analytics::EventTracker with default settings).
class ClipScorer {
 public:
  ClipScorer(std::unique_ptr<analytics::MotionDetector> detector, int passes);

  // Returns the detector's result for the frame.
  analytics::MotionResult Feed(const EvalFrame& frame, const cv::Mat& grey);
  // Ends an open event at the clip's end and returns the score.
  ClipScore Finish();

 private:
  std::unique_ptr<analytics::MotionDetector> detector_;
  analytics::EventTracker events_;
  analytics::EventTracker wolf_events_;
  std::vector<bool> raised_;
  int64_t first_ms_ = -1, last_ms_ = 0;
  ClipScore score_;
};

// Scores every detector of `configs` on `clip`, playing it once; `seen`, when set, is shown
// each frame with the detectors' results.
using SeenFrame = std::function<void(const EvalFrame&, const std::vector<analytics::MotionResult>&)>;
std::vector<ClipScore> ScoreClip(const EvalSet& set, const EvalClip& clip,
                                 const std::vector<analytics::MotionConfig>& configs, const SeenFrame& seen = {});

}  // namespace xl::motion_eval
