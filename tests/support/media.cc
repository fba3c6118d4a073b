#include "tests/support/media.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <sstream>
#include "proto/media/h26x.h"
#include "tools/motion_eval/clip_reader.h"

namespace xl::test {

std::string Fixture(const std::string& name) {
  const char* dir = std::getenv("XL_FIXTURES");
  return std::string(dir && *dir ? dir : XL_FIXTURES_DIR) + "/" + name;
}

int ReplayClip(const std::string& path, double fps, int height,
               const std::function<bool(analytics::Frame&, int)>& on_frame) {
  return motion_eval::ReadClip(path, fps, height, [&](const cv::Mat& bgr, int64_t time_ms, int index) {
    analytics::Frame frame = analytics::FrameFromBgr(bgr, time_ms);
    return on_frame(frame, index);
  });
}

Probe ProbeFile(const std::string& path) {
  // key=value lines, one per field: codec_name, nb_read_frames, duration.
  const std::string cmd =
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=codec_name,nb_read_frames:format=duration -of default=noprint_wrappers=1 '" +
      path + "' 2>/dev/null";
  Probe probe;
  FILE* out = popen(cmd.c_str(), "r");
  if (!out) return probe;
  std::string text;
  char chunk[256];
  while (size_t n = fread(chunk, 1, sizeof chunk, out)) text.append(chunk, n);
  const int rc = pclose(out);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "codec_name") probe.codec = value;
    else if (key == "nb_read_frames") probe.frames = std::atoi(value.c_str());
    else if (key == "duration") probe.duration_s = std::atof(value.c_str());
  }
  probe.ok = rc == 0 && !probe.codec.empty() && probe.frames > 0;
  return probe;
}

namespace {
// What `cmd` writes on stdout; `ok` false when it exits non-zero.
std::string Output(const std::string& cmd, bool* ok) {
  std::string text;
  FILE* out = popen(cmd.c_str(), "r");
  if (!out) {
    *ok = false;
    return text;
  }
  char chunk[65536];
  while (size_t n = fread(chunk, 1, sizeof chunk, out)) text.append(chunk, n);
  *ok = pclose(out) == 0;
  return text;
}
}  // namespace

std::vector<std::string> GreyFrames(const std::string& path, int width, int height) {
  bool ok = false;
  const std::string raw =
      Output("ffmpeg -v error -i '" + path + "' -vsync passthrough -vf scale=" + std::to_string(width) + ":" +
                 std::to_string(height) + " -pix_fmt gray -f rawvideo - 2>/dev/null",
             &ok);
  std::vector<std::string> frames;
  const size_t size = size_t(width) * size_t(height);
  if (!ok) return frames;
  for (size_t at = 0; at + size <= raw.size(); at += size) frames.push_back(raw.substr(at, size));
  return frames;
}

std::vector<double> FrameTimes(const std::string& path) {
  bool ok = false;
  const std::string text = Output(
      "ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 '" + path + "' 2>/dev/null", &ok);
  std::vector<double> times;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) times.push_back(std::atof(line.c_str()));
  }
  return times;
}

double Psnr(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = double(uint8_t(a[i])) - double(uint8_t(b[i]));
    sum += d * d;
  }
  if (sum == 0) return 99;
  return 10 * std::log10(255.0 * 255.0 / (sum / double(a.size())));
}

std::string StreetWithPassersBy(const std::string& dir) {
  const std::string clip = dir + "/street.mp4";
  const std::string cmd = "ffmpeg -v error -y -i '" + Fixture("vtest.avi") +
                          "' -filter_complex \"[0:v]split=3[a][b][c];"
                          "[a]trim=end_frame=1,loop=loop=149:size=1,setpts=N/10/TB[s1];"
                          "[b]trim=end=10,setpts=PTS-STARTPTS[m];"
                          "[c]trim=end_frame=1,loop=loop=399:size=1,setpts=N/10/TB[s2];"
                          "[s1][m][s2]concat=n=3,scale=640:360,format=yuv420p\" -r 10 -c:v libx264 "
                          "-preset ultrafast -g 20 -bf 0 -an '" +
                          clip + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "cannot make %s: %s\n", clip.c_str(), cmd.c_str());
    return "";
  }
  return clip;
}

std::string EncodeVtest640x360(const std::string& dir, int fps) {
  const std::string clip = dir + "/vtest_640x360_" + std::to_string(fps) + "fps.mp4";
  const std::string cmd = "ffmpeg -v error -y -i '" + Fixture("vtest.avi") +
                          "' -vf scale=640:360,fps=" + std::to_string(fps) +
                          " -c:v libx264 -preset veryfast -g 30 -bf 0 -an '" + clip + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "cannot make the clip: %s\n", cmd.c_str());
    return "";
  }
  return clip;
}

std::vector<AccessUnit> VtestAccessUnits(const std::string& dir, int fps, int seconds) {
  const std::string path = dir + "/vtest_640x360_" + std::to_string(fps) + "fps.h264";
  const std::string cmd = "ffmpeg -v error -y -i '" + Fixture("vtest.avi") + "' -t " + std::to_string(seconds) +
                          " -vf scale=640:360,fps=" + std::to_string(fps) +
                          " -c:v libx264 -preset veryfast -g 30 -bf 0 -x264-params aud=1 -an -f h264 '" + path + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "cannot make the stream: %s\n", cmd.c_str());
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  const std::string d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Every access unit begins with an access unit delimiter (NAL type 9), asked of x264 above.
  const std::string aud("\0\0\0\1\x09", 5);
  std::vector<AccessUnit> units;
  for (size_t at = d.find(aud); at != std::string::npos;) {
    const size_t next = d.find(aud, at + aud.size());
    AccessUnit u;
    u.data = d.substr(at, next == std::string::npos ? std::string::npos : next - at);
    for (std::string_view nal : h26x::SplitAnnexB(u.data)) {
      u.keyframe = u.keyframe || h26x::NalType(h26x::Codec::kH264, nal) == 5;  // an IDR slice
    }
    units.push_back(std::move(u));
    at = next;
  }
  return units;
}

std::string SplitPictures(const std::string& annexb_path, int* later_slices) {
  std::ifstream in(annexb_path, std::ios::binary);
  const std::string d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  *later_slices = 0;
  if (d.empty()) return annexb_path + ": empty or unreadable";
  int previous = -1;  // NAL type of the previous unit
  for (size_t i = d.find(std::string("\0\0\1", 3)); i != std::string::npos && i + 4 < d.size();
       i = d.find(std::string("\0\0\1", 3), i + 3)) {
    const int type = d[i + 3] & 0x1F;
    const bool slice = type == 1 || type == 5;
    // first_mb_in_slice is ue(v): its first bit is 1 exactly when it is 0.
    if (slice && !(static_cast<unsigned char>(d[i + 4]) & 0x80)) {
      ++*later_slices;
      if (previous != 1 && previous != 5) {
        return "a later slice at byte " + std::to_string(i) + " follows NAL type " + std::to_string(previous);
      }
    }
    previous = type;
  }
  return "";
}

}  // namespace xl::test
