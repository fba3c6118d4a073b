#include "tools/camsim/clip_cache.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace xl::camsim {

namespace {

constexpr char kMagic[8] = {'X', 'L', 'C', 'L', 'I', 'P', '1', '\n'};

// Identifies the source file's content (path, size, mtime) and the options.
std::string Key(const std::string& file, const ClipOptions& o) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  const auto mtime = std::filesystem::last_write_time(file, ec).time_since_epoch().count();
  return std::filesystem::absolute(file).string() + "|" + std::to_string(size) + "|" + std::to_string(mtime) + "|" +
         std::to_string(o.transcode) + o.codec + "|" + std::to_string(o.width) + "x" + std::to_string(o.height) + "@" +
         std::to_string(o.fps) + "/" + std::to_string(o.bitrate_kbps);
}

std::string PathFor(const std::string& dir, const std::string& key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.clip", static_cast<unsigned long long>(h));
  return dir + "/" + name;
}

template <typename T>
void Put(std::ofstream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
bool Get(std::ifstream& in, T& v) {
  return bool(in.read(reinterpret_cast<char*>(&v), sizeof v));
}
void PutText(std::ofstream& out, const std::string& s) {
  Put(out, uint32_t(s.size()));
  out.write(s.data(), std::streamsize(s.size()));
}
bool GetText(std::ifstream& in, std::string& s, uint32_t limit) {
  uint32_t n = 0;
  if (!Get(in, n) || n > limit) return false;
  s.resize(n);
  return bool(in.read(s.data(), n));
}

}  // namespace

std::optional<EncodedClip> ReadCachedClip(const std::string& dir, const std::string& file, const ClipOptions& options) {
  const std::string key = Key(file, options);
  std::ifstream in(PathFor(dir, key), std::ios::binary);
  char magic[8];
  std::string stored_key;
  if (!in || !in.read(magic, 8) || std::string(magic, 8) != std::string(kMagic, 8) || !GetText(in, stored_key, 4096) ||
      stored_key != key) {
    return std::nullopt;
  }
  EncodedClip clip;
  uint64_t count = 0;
  if (!GetText(in, clip.codec, 16) || !Get(in, clip.width) || !Get(in, clip.height) || !Get(in, clip.duration_ns) ||
      !Get(in, count) || count > 10'000'000) {
    return std::nullopt;
  }
  clip.units.resize(count);
  for (AccessUnit& u : clip.units) {
    uint8_t key_flag = 0;
    uint32_t size = 0;
    if (!Get(in, u.pts_ns) || !Get(in, u.dts_ns) || !Get(in, u.duration_ns) || !Get(in, key_flag) || !Get(in, size) ||
        size > (64u << 20)) {
      return std::nullopt;
    }
    u.keyframe = key_flag != 0;
    u.bytes.resize(size);
    if (!in.read(reinterpret_cast<char*>(u.bytes.data()), size)) return std::nullopt;
  }
  if (clip.units.empty()) return std::nullopt;
  return clip;
}

Status WriteCachedClip(const std::string& dir, const std::string& file, const ClipOptions& options,
                       const EncodedClip& clip) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string key = Key(file, options);
  const std::string path = PathFor(dir, key), tmp = path + "." + std::to_string(getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error{"cannot write the clip cache " + tmp};
    out.write(kMagic, 8);
    PutText(out, key);
    PutText(out, clip.codec);
    Put(out, clip.width);
    Put(out, clip.height);
    Put(out, clip.duration_ns);
    Put(out, uint64_t(clip.units.size()));
    for (const AccessUnit& u : clip.units) {
      Put(out, u.pts_ns);
      Put(out, u.dts_ns);
      Put(out, u.duration_ns);
      Put(out, uint8_t(u.keyframe ? 1 : 0));
      Put(out, uint32_t(u.bytes.size()));
      out.write(reinterpret_cast<const char*>(u.bytes.data()), std::streamsize(u.bytes.size()));
    }
    if (!out) return Error{"cannot write the clip cache " + tmp};
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error{"cannot write the clip cache " + path + ": " + ec.message()};
  return Status::Ok();
}

Result<EncodedClip> LoadClipCached(const std::string& dir, const std::string& file, const ClipOptions& options) {
  bool cached = false;
  std::optional<EncodedClip> clip;
  if (!dir.empty()) clip = ReadCachedClip(dir, file, options);
  if (clip) {
    cached = true;
  } else {
    auto loaded = LoadClip(file, options);
    if (!loaded.ok()) return loaded.error();
    clip = std::move(loaded.value());
    if (!dir.empty()) {
      if (Status st = WriteCachedClip(dir, file, options, *clip); !st.ok()) spdlog::warn("camsim: {}", st.message());
    }
  }
  spdlog::info("camsim: {}: {} {}x{}, {} access units, {:.1f} s loop{}", file, clip->codec, clip->width, clip->height,
               clip->units.size(), clip->duration_ns / 1e9, cached ? " (from the cache)" : "");
  return std::move(*clip);
}

}  // namespace xl::camsim
