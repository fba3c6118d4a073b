// Keeps transcoded clips on disk, so a restarted simulator serves at once instead of
// re-encoding (x265 on a long clip takes minutes on a small machine). Entries are keyed by
// the file's path, size and modification time and the clip options; writes are atomic
// (temporary file, then rename), so simulators may share a cache folder.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "tools/camsim/encoded_clip.h"

namespace xl::camsim {

// The cached clip for (`file`, `options`) in `dir`, if there is a valid one.
std::optional<EncodedClip> ReadCachedClip(const std::string& dir, const std::string& file, const ClipOptions& options);

// Stores `clip` for (`file`, `options`) in `dir` (created if needed).
Status WriteCachedClip(const std::string& dir, const std::string& file, const ClipOptions& options,
                       const EncodedClip& clip);

// The clip from `dir` when cached there ("" : no cache), else LoadClip, then stored in `dir`
// (a failed store is logged, not an error). Logs one line describing the clip.
Result<EncodedClip> LoadClipCached(const std::string& dir, const std::string& file, const ClipOptions& options);

}  // namespace xl::camsim
