/*
 * httpresp.h: a bounded parser of one HTTP/1.x response, for the
 * MTA-STS policy fetch (https.h, RFC 8461 3.3): only "200", only a
 * text/plain body of at most HTTP_BODY_MAX bytes, delimited by
 * Content-Length, chunked transfer coding, or the end of the connection.
 * Runs in the relay processes and the fuzz target; the response is from
 * a remote server and hostile: the parser is a state machine fed any
 * number of bytes at a time, with every line, count and number bounded;
 * nothing is allocated or logged.
 */
#ifndef POSTERN_HTTPRESP_H
#define POSTERN_HTTPRESP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_BODY_MAX		(64 * 1024)	/* RFC 8461 3.3 suggests it */
#define HTTP_LINE_MAX		4096		/* status, header, chunk line */
#define HTTP_HEADERS_MAX	100
#define HTTP_ERR_MAX		128

enum http_state {
	HTTP_STATUS, HTTP_HEADER, HTTP_BODY, HTTP_CHUNK_SIZE, HTTP_CHUNK_DATA,
	HTTP_CHUNK_END, HTTP_TRAILER, HTTP_DONE, HTTP_FAILED,
};

struct http_resp {
	enum http_state	state;
	int		status;		/* the status code, once read */
	int		chunked;
	int		has_length;	/* Content-Length given */
	int		text_plain;
	uint64_t	length;		/* Content-Length */
	uint64_t	chunk_left;
	size_t		nheaders;
	char		line[HTTP_LINE_MAX];
	size_t		linelen;
	char		body[HTTP_BODY_MAX];
	size_t		bodylen;
	char		err[HTTP_ERR_MAX];	/* why, once HTTP_FAILED */
};

/* http_resp_init: r ready for the first byte of a response. */
void	http_resp_init(struct http_resp *r);

/*
 * http_resp_feed: parse the len bytes at buf.  Returns 1 once the
 * response is complete (bytes after it are ignored), 0 when it needs
 * more, -1 when it is refused (r->err says why, for the log): a
 * malformed status line or header, a status other than 200 (a redirect
 * is refused too: RFC 8461 3.3), a Content-Type other than text/plain,
 * a transfer coding other than chunked, both Content-Length and
 * chunked, a body or chunk over HTTP_BODY_MAX, a line over
 * HTTP_LINE_MAX, more than HTTP_HEADERS_MAX headers.  Lines may end in
 * CRLF or LF.  Once 1 or -1, it stays so.
 */
int	http_resp_feed(struct http_resp *r, const unsigned char *buf,
	    size_t len);

/*
 * http_resp_eof: the connection ended.  1 if that completes the
 * response (a body delimited by the close, or one already complete),
 * -1 if the response was cut short (r->err).
 */
int	http_resp_eof(struct http_resp *r);

#endif
