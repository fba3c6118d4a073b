#include "ingest/recording/segment_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace xl::ingest {

Error FileError(const std::string& path, int err) {
  std::string msg = path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhausted(std::move(msg));
  return Unavailable(std::move(msg));
}

Result<std::unique_ptr<SegmentFile>> SegmentFile::Create(const std::string& path, h26x::Codec codec,
                                                         std::string_view keyframe, uint32_t width, uint32_t height,
                                                         int64_t start_ms, int64_t stream_us) {
  std::unique_ptr<SegmentFile> f(new SegmentFile(codec));
  if (!f->writer_.Learn(keyframe, width, height)) {
    return InvalidArgument("the keyframe carries no complete parameter sets");
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return FileError(std::filesystem::path(path).parent_path().string(), ec.value());
  f->file_ = std::fopen(path.c_str(), "wbx");
  if (!f->file_) return FileError(path, errno);
  std::setvbuf(f->file_, nullptr, _IOFBF, 256 * 1024);
  f->path_ = path;
  f->start_ms_ = f->end_ms_ = start_ms;
  f->first_stream_us_ = stream_us;
  if (Status s = f->Append(f->writer_.init_segment()); !s.ok()) return s.error();
  return f;
}

SegmentFile::~SegmentFile() {
  if (file_) std::fclose(file_);
}

Status SegmentFile::Append(const std::string& bytes) {
  errno = 0;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) return FileError(path_, errno ? errno : EIO);
  bytes_ += int64_t(bytes.size());
  return Status::Ok();
}

Status SegmentFile::Write(std::string_view annexb, int64_t stream_us, int64_t pts_us, bool keyframe) {
  if (last_stream_us_ >= 0 && stream_us > last_stream_us_) frame_us_ = stream_us - last_stream_us_;
  fmp4::Sample sample{annexb, pts_us >= 0 ? pts_us : stream_us, stream_us, keyframe};
  if (Status s = Append(writer_.Fragment(sample)); !s.ok()) return s;
  last_stream_us_ = stream_us;
  end_ms_ = WallMs(stream_us) + frame_us_ / 1000;
  if (keyframe) keyframes_ms_.push_back(WallMs(stream_us));
  return Status::Ok();
}

Status SegmentFile::Flush() {
  errno = 0;
  if (std::fflush(file_) != 0) return FileError(path_, errno ? errno : EIO);
  return Status::Ok();
}

}  // namespace xl::ingest
