// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The line reader of the text importers: a file, standard input or a memory
 * buffer, plain or gzip (detected from the magic bytes, several members
 * allowed), split into lines in a fixed window so that memory does not grow
 * with the file. A line longer than LR_MAX_LINE is cut and flagged, not
 * buffered.
 */
#include "import-local.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LR_IN_SIZE (256u << 10)

/* @insize: the raw buffer; the text window is allocated once the start is seen */
static int lr_init(struct lreader *lr, const char *name, size_t insize)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = -1;
	lr->name = name;
	lr->insize = insize;
	lr->in = malloc(insize);
	return lr->in ? 0 : -ENOMEM;
}

/* read raw bytes into lr->in; returns the count, 0 at the end, or -errno */
static ssize_t raw_read(struct lreader *lr, unsigned char *dst, size_t size)
{
	ssize_t n;

	if (lr->mem) {
		n = (ssize_t)(lr->memlen - lr->mempos < size ? lr->memlen - lr->mempos : size);
		memcpy(dst, lr->mem + lr->mempos, n);
		lr->mempos += n;
	} else {
		do
			n = read(lr->fd, dst, size);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return vnp_fail(-errno, "%s: read error: %s", lr->name, strerror(errno));
	}
	lr->raw_bytes += n;
	return n;
}

/* look at the first bytes: gzip or not */
static int lr_start(struct lreader *lr)
{
	ssize_t n = 0, r;

	while ((size_t)n < 2) {
		r = raw_read(lr, lr->in + n, lr->insize - n);
		if (r < 0)
			return (int)r;
		if (!r)
			break;
		n += r;
	}
	/*
	 * The window: 1 MiB, or for plain text in memory just its size (a
	 * line cannot be longer than that, and the fuzzers run faster)
	 */
	lr->cap = LR_BUF_SIZE;
	if (lr->mem && !(n >= 2 && lr->in[0] == 0x1f && lr->in[1] == 0x8b) &&
	    lr->memlen < LR_BUF_SIZE)
		lr->cap = lr->memlen + 1;
	lr->buf = malloc(lr->cap + 1);
	if (!lr->buf)
		return -ENOMEM;
	if (n >= 2 && lr->in[0] == 0x1f && lr->in[1] == 0x8b) {
		lr->gz = true;
		if (inflateInit2(&lr->zs, 16 + MAX_WBITS) != Z_OK)
			return vnp_fail(-ENOMEM, "%s: cannot start gzip decoding", lr->name);
		lr->zs_live = true;
		lr->inlen = n;
	} else {
		/* plain: the bytes read so far are text */
		memcpy(lr->buf, lr->in, n);
		lr->end = n;
		if (!n)
			lr->eof = true;
	}
	return 0;
}

int lr_open(struct lreader *lr, const char *path)
{
	int err = lr_init(lr, path, LR_IN_SIZE);

	if (err)
		return err;
	if (!strcmp(path, "-")) {
		lr->fd = STDIN_FILENO;
		lr->name = "<stdin>";
	} else {
		lr->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (lr->fd < 0) {
			err = vnp_fail(-errno, "%s: %s", path, strerror(errno));
			lr_close(lr);
			return err;
		}
		lr->own_fd = true;
	}
	err = lr_start(lr);
	if (err)
		lr_close(lr);
	return err;
}

int lr_open_mem(struct lreader *lr, const char *name, const void *data, size_t len)
{
	int err = lr_init(lr, name, len + 2 < LR_IN_SIZE ? len + 2 : LR_IN_SIZE);

	if (err)
		return err;
	lr->mem = data;
	lr->memlen = len;
	err = lr_start(lr);
	if (err)
		lr_close(lr);
	return err;
}

void lr_close(struct lreader *lr)
{
	if (lr->zs_live)
		inflateEnd(&lr->zs);
	if (lr->own_fd && lr->fd >= 0)
		close(lr->fd);
	free(lr->buf);
	free(lr->in);
	memset(lr, 0, sizeof(*lr));
	lr->fd = -1;
}

/* decode more text into buf[end..]; sets eof at the end */
static int fill(struct lreader *lr)
{
	size_t room = lr->cap - lr->end;
	ssize_t n;

	if (lr->eof || !room)
		return 0;
	if (!lr->gz) {
		n = raw_read(lr, (unsigned char *)lr->buf + lr->end, room);
		if (n < 0)
			return (int)n;
		if (!n)
			lr->eof = true;
		lr->end += n;
		return 0;
	}
	for (;;) {
		int zr;

		if (lr->inpos == lr->inlen && !lr->raw_eof) {
			n = raw_read(lr, lr->in, lr->insize);
			if (n < 0)
				return (int)n;
			lr->inpos = 0;
			lr->inlen = n;
			if (!n)
				lr->raw_eof = true;
		}
		if (lr->inpos == lr->inlen && lr->raw_eof) {
			/* a member that did not reach its end: the file was cut */
			if (!lr->zs_end)
				lr->truncated = true;
			lr->eof = true;
			return 0;
		}
		if (lr->zs_end) {
			/* another gzip member follows */
			if (inflateReset(&lr->zs) != Z_OK)
				return vnp_fail(-EIO, "%s: gzip decoding failed", lr->name);
			lr->zs_end = false;
		}
		lr->zs.next_in = lr->in + lr->inpos;
		lr->zs.avail_in = (uInt)(lr->inlen - lr->inpos);
		lr->zs.next_out = (unsigned char *)lr->buf + lr->end;
		lr->zs.avail_out = (uInt)room;
		zr = inflate(&lr->zs, Z_NO_FLUSH);
		lr->inpos = lr->inlen - lr->zs.avail_in;
		lr->end += room - lr->zs.avail_out;
		if (zr == Z_STREAM_END) {
			lr->zs_end = true;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			return vnp_fail(-EBADMSG, "%s: damaged gzip data (%s)", lr->name,
					lr->zs.msg ? lr->zs.msg : "inflate failed");
		}
		if (lr->end > lr->cap - room)
			return 0; /* got text */
	}
}

int lr_peek(struct lreader *lr, const char **data, size_t *len)
{
	while (lr->end - lr->start < LR_PEEK_SIZE && !lr->eof) {
		int err;

		if (lr->start && lr->end == lr->cap) {
			memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
			lr->end -= lr->start;
			lr->start = 0;
		}
		err = fill(lr);
		if (err)
			return err;
	}
	*data = lr->buf + lr->start;
	*len = lr->end - lr->start;
	return 0;
}

int lr_next(struct lreader *lr, char **line, size_t *len)
{
	bool skipping = false;

	lr->too_long = false;
	for (;;) {
		char *p = lr->buf + lr->start;
		size_t avail = lr->end - lr->start;
		char *nl = avail ? memchr(p, '\n', avail) : NULL;
		size_t n = nl ? (size_t)(nl - p) : avail;
		int err;

		if (nl || (lr->eof && (avail || skipping))) {
			lr->start += nl ? n + 1 : n;
			lr->lineno++;
			if (skipping) {
				/* a line longer than LR_MAX_LINE: reported, not kept */
				lr->too_long = true;
				n = 0;
				p = lr->buf + lr->start - (nl ? 1 : 0);
			} else if (n && p[n - 1] == '\r') {
				n--;
			}
			p[n] = '\0';
			*line = p;
			*len = n;
			return 1;
		}
		if (lr->eof)
			return 0;
		if (avail >= LR_MAX_LINE || skipping) {
			/* drop what is buffered and read on to the newline */
			skipping = true;
			lr->start = lr->end = 0;
		} else if (lr->start) {
			memmove(lr->buf, p, avail);
			lr->start = 0;
			lr->end = avail;
		}
		err = fill(lr);
		if (err)
			return err;
	}
}

int lr_read_all(struct lreader *lr, char **out, size_t *outlen, size_t max)
{
	char *all = NULL;
	size_t n = 0, cap = 0;
	int err;

	for (;;) {
		size_t avail = lr->end - lr->start;

		if (n + avail + 1 > cap) {
			char *a;

			/* plain text from memory: its size is known, allocate just that */
			if (!cap && lr->mem && !lr->gz)
				cap = avail + (lr->memlen - lr->mempos) + 1;
			else
				cap = cap ? cap * 2 : LR_BUF_SIZE;
			while (cap < n + avail + 1)
				cap *= 2;
			a = realloc(all, cap);
			if (!a) {
				free(all);
				return -ENOMEM;
			}
			all = a;
		}
		memcpy(all + n, lr->buf + lr->start, avail);
		n += avail;
		lr->start = lr->end = 0;
		if (n > max) {
			free(all);
			return vnp_fail(-EFBIG, "%s: larger than %zu MiB; not an iperf3 report",
					lr->name, max >> 20);
		}
		if (lr->eof)
			break;
		err = fill(lr);
		if (err) {
			free(all);
			return err;
		}
	}
	all[n] = '\0';
	*out = all;
	*outlen = n;
	return 0;
}
