// The analytics settings of one camera, as the camera spec carries them (the `motion`,
// `events`, `faults`, `faces` and `jpeg_quality` keys; docs/configuration.md). Plain data with
// no OpenCV in it, so that whoever validates a camera (the router, the worker) needs none;
// the detectors in analytics/ read them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xl::analytics {

// A point in normalised frame coordinates: (0,0) top left, (1,1) bottom right.
struct PointF {
  float x = 0;
  float y = 0;
};

// A polygon in normalised frame coordinates, so it survives a change of analysis size.
using Polygon = std::vector<PointF>;

struct Zone {
  std::string name;
  Polygon polygon;
};

struct MotionConfig {
  std::string algorithm = "adaptive";  // "adaptive" or "classic" (analytics/motion_detector.h)
  int frame_height = 100;              // detector works on a copy 0.7-1.4 × this high
                                       // (the input halved as often as fits)
  int threshold = 30;                  // per-pixel change (0-255) that counts as motion
  double contour_area = 10;            // minimum contour area, in pixels of the 100-high frame
  double frame_alpha = 0.01;           // background learning rate per analysed frame
  double lightning_threshold = 0.8;    // classic: moving fraction of the frame that means "global change"
  double brightness_jump = 0.2;        // relative jump of mean brightness that means the same
  // adaptive only (analytics/adaptive_motion.h):
  double learn_s = 3;               // the first seconds only learn the scene
  double busy_s = 10;               // time over which a pixel's usual change is learned
  double busy_share = 0.25;         // a pixel changed more than this share of that time is suppressed
  double deviation_factor = 5;      // a pixel must change this × its usual change (and threshold)
  double absorb_s = 4;              // a change that stops moving becomes background after this
  double suppressed_warning = 0.4;  // a suppressed share of the view above this is reported
  bool improve_contrast = true;
  int contrast_history = 50;  // frames the contrast range is averaged over
  std::vector<Zone> zones;
  std::vector<Polygon> masks;  // areas ignored entirely
};

// When a run of active frames becomes an event, how often it is updated, when it ends.
struct EventConfig {
  int min_frames = 2;  // consecutive active frames before an event starts
  int64_t update_interval_ms = 1000;
  int64_t quiet_ms = 5000;  // quiet time that ends an event
};

struct FaultConfig {
  bool enabled = true;
  double learn_s = 10;        // baseline learning after start
  double raise_s = 4;         // a condition must hold this long to raise the fault
  double clear_s = 3;         // and be gone this long to end it
  double frozen_diff = 0.25;  // mean absolute change (grey levels) below which nothing moved
  double cover_stddev = 8;    // grey standard deviation below which the picture is featureless
  double blur_ratio = 0.3;    // sharpness below this share of the baseline is blur
  double dark_ratio = 0.35;   // mean brightness below this share of the baseline is too dark
  double bright_level = 235;  // mean brightness above this (and well above the baseline) is too bright
  double cast_level = 40;     // mean chroma offset from neutral that is a colour cast
  double scene_match = 0.5;   // correlation with the learned scene below this is a scene change
};

struct FaceConfig {
  bool enabled = false;
  std::string detector = "dnn";  // "dnn" or "cascade"
  std::string model;             // dnn: BlazeFace front ONNX file; cascade: cascade XML file
  double fps = 2;                // face checks per second at most (only while there is motion)
  double min_score = 0.7;        // dnn: confidence; cascade faces score 1
  double min_size = 0.05;        // smallest face, as a share of the frame height
};

// Objects that raise alerts instead of bare motion (analytics/object_detector.h).
struct ObjectConfig {
  bool enabled = false;
  std::string model;  // the CenterNet ONNX file deploy/models.sh makes
  std::vector<std::string> alert_on = {"person", "bicycle", "car", "motorcycle", "bus", "truck"};
  double min_score = 0.4;  // heatmap peak a detection needs
  double fps = 1;          // checks per second at most (only while there is motion)
  int max_regions = 3;     // crops around motion per check, run as one batch
  double min_crop = 0.25;  // smallest crop side, as a share of the frame's smaller side
};

struct AnalyticsConfig {
  bool motion_enabled = true;
  MotionConfig motion;
  EventConfig events;
  FaultConfig faults;
  FaceConfig faces;
  ObjectConfig objects;
  int jpeg_quality = 85;
};

}  // namespace xl::analytics
