// libFuzzer target: SIP from the network (UDP datagrams and TCP streams). Framing and
// libosip2 parsing must turn any bytes into a message or a clear error, never a crash or a
// hang; a parsed message must answer every accessor and yield a response.
#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/gb28181/sip_message.h"

using xl::gb28181::SipFrameLength;
using xl::gb28181::SipMessage;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const long frame = SipFrameLength(bytes);
  if (frame > long(size)) __builtin_trap();  // never past the buffer
  auto m = SipMessage::Parse(bytes);
  if (!m.ok()) {
    if (m.error().message.empty()) __builtin_trap();
    return 0;
  }
  (void)m->method(), (void)m->from_user(), (void)m->to_user(), (void)m->from_tag(), (void)m->call_id();
  (void)m->cseq(), (void)m->via_branch(), (void)m->body(), (void)m->expires(), (void)m->content_type();
  (void)m->authorization(), (void)m->www_authenticate(), (void)m->request_user(), (void)m->header("Date");
  if (m->is_request()) {
    // An answer can always be built (it echoes the request's Via/From/To/Call-ID/CSeq, so a
    // strange request gets a strange answer, but never a crash).
    const std::string reply = SipMessage::ResponseTo(*m, 400, "Bad Request").ToString();
    if (reply.empty()) __builtin_trap();
    (void)SipMessage::Parse(reply);
  }
  return 0;
}
