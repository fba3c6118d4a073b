// Test media: real clips fetched by deploy/fixtures.sh, replayed as the ingest would deliver them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analytics/frame.h"

namespace xl::test {

// Full path of a fixture file ("vtest.avi"); the folder is $XL_FIXTURES or the build default.
std::string Fixture(const std::string& name);

// Decodes `path` and calls `on_frame` for frames at `fps` (sampled from the clip's own
// rate), scaled to `height` pixels high, timestamps starting at 0 ms. `on_frame` returns
// false to stop. Returns the number of frames delivered; 0 when the file cannot be read.
int ReplayClip(const std::string& path, double fps, int height,
               const std::function<bool(analytics::Frame&, int index)>& on_frame);

// What ffprobe reads from a media file; ok is false when it cannot read it.
struct Probe {
  bool ok = false;
  std::string codec;      // of the first video stream: "h264", "hevc"
  double duration_s = 0;  // of the container
  int frames = 0;         // counted by decoding
};
Probe ProbeFile(const std::string& path);

// The decoded pictures of `path`'s first video stream, each as 8-bit grey `width`×`height`
// (scaled), in order; empty when it cannot be decoded.
std::vector<std::string> GreyFrames(const std::string& path, int width, int height);
// The presentation time (seconds, as the file stores it) of each decoded picture of `path`.
std::vector<double> FrameTimes(const std::string& path);
// PSNR in dB of two grey pictures of the same size (99 when identical).
double Psnr(const std::string& a, const std::string& b);

// vtest.avi as a camera would send it: H.264 640×360 at `fps`, a keyframe every 30 frames,
// no B-frames, in an MP4 made by ffmpeg in `dir`. Returns its path; "" (after printing why)
// when it cannot be made.
std::string EncodeVtest640x360(const std::string& dir, int fps);

// A street with one motion event that ends: vtest.avi's first frame for 15 s, 10 s of its
// pedestrians, the first frame again for 40 s (the background the detector learned comes back,
// so the event ends — about 20 s later, as the pedestrians' trace fades — before the clip
// loops). H.264 640×360 at 10 fps, a keyframe every 20 frames, made by ffmpeg in `dir`. Its
// path; "" (after printing why) when it cannot be made.
std::string StreetWithPassersBy(const std::string& dir);

// The first `seconds` of vtest.avi as a camera sends it: H.264 640×360 at `fps`, a keyframe
// every 30 frames, no B-frames, one Annex B access unit an element, parameter sets before
// each keyframe; made by ffmpeg in `dir`. Empty (after printing why) when it cannot be made.
struct AccessUnit {
  std::string data;
  bool keyframe = false;
};
std::vector<AccessUnit> VtestAccessUnits(const std::string& dir, int fps, int seconds);

// An H.264 byte-stream file checked for split pictures: a later slice of a picture
// (first_mb_in_slice > 0) must follow another slice directly, never a parameter set, AUD or
// SEI (which start a new access unit). Returns "" when every picture is whole, else the first
// fault; `later_slices` counts the later slices seen (0: the stream had one slice a picture).
std::string SplitPictures(const std::string& annexb_path, int* later_slices);

}  // namespace xl::test
