// A SIP message (RFC 3261) as GB/T 28181 uses it, parsed and built by libosip2.
// Owns its osip_message_t. Parsing never reads past the given bytes and never throws;
// anything libosip2 refuses, or a message without the headers every SIP message needs
// (Via, From, To, Call-ID, CSeq), is an Error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

typedef struct osip_message osip_message_t;

namespace xl::gb28181 {

// `digits` random lower-case hex digits (nonces, tags, branches, Call-IDs); unpredictable,
// from a per-thread generator seeded by std::random_device.
std::string RandomHex(int digits);

// What a new request needs besides its method and request URI.
struct RequestHeaders {
  std::string transport;  // "UDP" or "TCP", for the Via
  std::string via_host;   // "host:port" the answer comes back to
  std::string from_uri;   // "sip:ID@realm"
  std::string from_tag;   // "": a fresh tag (a new dialog)
  std::string to_uri;
  std::string to_tag;  // within a dialog: the peer's tag
  std::string call_id;
  long cseq = 1;
};

// The fields of an Authorization: Digest header.
struct DigestCredentials {
  std::string username, realm, nonce, uri, response, algorithm, qop, nc, cnonce;
};

class SipMessage {
 public:
  static Result<SipMessage> Parse(std::string_view bytes);
  // A new request: "METHOD uri SIP/2.0" with Via (a fresh branch), From (a fresh tag), To,
  // Call-ID, CSeq and Max-Forwards.
  static SipMessage Request(const std::string& method, const std::string& uri, const RequestHeaders& headers);
  // The response to `request`: its Via, From, To (with a fresh tag when it has none),
  // Call-ID and CSeq copied.
  static SipMessage ResponseTo(const SipMessage& request, int status, const std::string& reason);

  SipMessage(SipMessage&&) noexcept = default;
  SipMessage& operator=(SipMessage&&) noexcept = default;

  bool is_request() const;
  std::string method() const;        // requests: "REGISTER", "MESSAGE", ...
  int status() const;                // responses: 200, 401, ...
  std::string request_user() const;  // user part of the request URI
  std::string from_user() const;
  std::string to_user() const;
  std::string from_tag() const;
  std::string to_tag() const;
  std::string call_id() const;
  long cseq() const;  // the number
  std::string cseq_method() const;
  std::string via_branch() const;  // of the top Via
  // Any header by name (case-insensitive), first occurrence.
  std::optional<std::string> header(const std::string& name) const;
  std::string content_type() const;  // "application/manscdp+xml" (lower case), "" if none
  std::string body() const;          // the first body, "" if none
  std::optional<DigestCredentials> authorization() const;
  // The challenge of a 401: realm, nonce, algorithm and qop of its WWW-Authenticate.
  std::optional<DigestCredentials> www_authenticate() const;
  // Seconds from the Expires header; nullopt when absent or not a number.
  std::optional<long> expires() const;

  void AddHeader(const std::string& name, const std::string& value);
  // Sets From/To/Via/Call-ID/CSeq/Contact/WWW-Authenticate/Authorization through
  // libosip2's own parsers (false if it refuses the value), anything else as a plain header.
  bool SetHeader(const std::string& name, const std::string& value);
  void SetBody(const std::string& body, const std::string& content_type);

  // The message on the wire, Content-Length included.
  std::string ToString() const;

 private:
  struct Free {
    void operator()(osip_message_t* m) const;
  };
  explicit SipMessage(osip_message_t* m) : msg_(m) {}
  std::unique_ptr<osip_message_t, Free> msg_;
};

// Framing on a stream transport (RFC 3261 §18.3): the length of the first whole message in
// `buffer` — headers, blank line, Content-Length bytes of body. 0 while it is incomplete;
// -1 when it can never be a message (no header end within 64 KiB, a bad Content-Length,
// a body over 64 KiB). Leading CRLF keep-alives count as a message of their own length.
long SipFrameLength(std::string_view buffer);

// A stream transport's bytes (TCP) cut into whole SIP messages; CRLF keep-alives skipped.
class SipStream {
 public:
  enum class Step { kMessage, kMore, kBroken };
  void Append(std::string_view bytes) { buffer_.append(bytes); }
  // kMessage: the next whole message is in `message`. kMore: wait for more bytes.
  // kBroken: the bytes can never be framed (SipFrameLength -1); close the connection.
  Step Take(std::string* message);

 private:
  std::string buffer_;
};

// Lower-case hex MD5 of `text` (digest authentication).
std::string Md5Hex(std::string_view text);

// The digest response (RFC 2617): MD5(MD5(user:realm:password):nonce[:nc:cnonce:qop]:MD5(method:uri)).
std::string DigestResponse(const DigestCredentials& c, const std::string& password, const std::string& method);

}  // namespace xl::gb28181
