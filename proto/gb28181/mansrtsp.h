// MANSRTSP (GB/T 28181 Annex B): how the platform steers a device's Playback call — the body
// of a SIP INFO in the call's dialog (Content-Type: Application/MANSRTSP), shaped like an
// RTSP request:
//
//   PLAY MANSRTSP/1.0          PLAY MANSRTSP/1.0       PAUSE MANSRTSP/1.0
//   CSeq: 2                    CSeq: 3                 CSeq: 4
//   Range: npt=120-            Scale: 4.0              PauseTime: now
//
// "PLAY" resumes (and, with a Range, seeks to npt seconds from the recording's start; "now-"
// resumes where it paused); "Scale" sets the speed (0.25 to 16; negative: backwards);
// "PAUSE" holds. Built strictly, parsed liberally (header names in any case, LF or CRLF,
// "RTSP/1.0" for "MANSRTSP/1.0", "npt=" times as seconds or h:mm:ss).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace xl::gb28181 {

struct MansRtsp {
  std::string method;  // "PLAY", "PAUSE" or "TEARDOWN"
  long cseq = 0;
  double scale = 0;           // 0: not said
  double range_start_s = -1;  // PLAY Range: npt seconds from the recording's start; -1: none or "now"
};

// The body of an INFO.
std::string BuildMansRtsp(const MansRtsp& m);

// Error when the text is not a MANSRTSP request (no request line, another method, a CSeq
// that is not a number, an unreadable Scale or Range).
Result<MansRtsp> ParseMansRtsp(std::string_view text);

}  // namespace xl::gb28181
