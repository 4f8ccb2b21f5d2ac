/* SPDX-License-Identifier: MIT */
/*
 * The fleet's CAs and CRLs, loaded at start and again whenever either file
 * changes, and X509_verify_cert against them. Files are read whole into
 * memory first (bounded), then parsed as PEM items: a CA file holds CA
 * certificates only, a CRL file CRLs only, so a file given to the wrong
 * flag, or one with a private key in it, is an error rather than ignored.
 *
 * Revocation is checked here rather than by OpenSSL's X509_V_FLAG_CRL_CHECK,
 * which verifies each CRL's signature again on every request (two ECDSA
 * verifications with CRL_CHECK_ALL: about 380 us here, four times the rest
 * of the chain check). A CRL's signature is verified once, when it is
 * loaded, against the exact CA of --client-ca that signed it; only complete,
 * direct CRLs are accepted (no delta CRL, no issuing distribution point, no
 * critical extension), one per CA, so that the rules are these and no
 * others: every certificate of a verified chain but its root needs the
 * current CRL of the CA that issued it (lastUpdate passed, nextUpdate not),
 * and must not be on it.
 */
#include "trust.h"
#include "log.h"
#include "../core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a look at a file saw; all zero when it was not there. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

struct trust {
	/* The CAs in force: NULL when the CA file could not be loaded at the
	 * last look, and ca_error says why. */
	X509_STORE *store;
	STACK_OF(X509) * cas; /* the CA certificates: the CRLs' signers */
	X509_STORE_CTX *ctx;
	char *ca_path;
	char ca_error[TRUST_WHY_MAX + 1];
	struct file_id ca_id; /* the file as the last look saw it */
	char *crl_path;	      /* NULL without --client-crl */
	/* The CRLs in force, each signed by crl_signer[i] (one of cas); NULL
	 * with a CRL file means it could not be loaded at the last look, and
	 * crl_error says why. */
	STACK_OF(X509_CRL) * crls;
	X509 **crl_signer;
	char crl_error[TRUST_WHY_MAX + 1];
	struct file_id crl_id;
	int64_t checked_ms; /* the last look at the files */
	bool has_time;
	time_t at;
	char why[TRUST_WHY_MAX + 1];
};

/* A PEM pass phrase is never asked for: an encrypted key is an error. */
static int no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* What OpenSSL said last, for a message. */
static const char *openssl_error(void)
{
	const char *e = ERR_reason_error_string(ERR_peek_last_error());

	return e ? e : "unreadable";
}

/* The PEM items of a whole file; NULL with why. *id describes the file. */
static STACK_OF(X509_INFO) * read_items(const char *path, struct file_id *id, char *why)
{
	STACK_OF(X509_INFO) *items = NULL;
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	BIO *bio;
	int fd;

	memset(id, 0, sizeof(*id));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, TRUST_WHY_MAX + 1, "%s: %s", path, strerror(errno));
		goto out;
	}
	*id = (struct file_id){st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
	if (!S_ISREG(st.st_mode) || st.st_size > TRUST_FILE_MAX) {
		snprintf(why, TRUST_WHY_MAX + 1, "%s: not a regular file of at most %d bytes", path,
			 TRUST_FILE_MAX);
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		snprintf(why, TRUST_WHY_MAX + 1, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	bio = BIO_new_mem_buf(buf, (int)got);
	items = bio ? PEM_X509_INFO_read_bio(bio, NULL, no_pass, NULL) : NULL;
	BIO_free(bio);
	if (!items)
		snprintf(why, TRUST_WHY_MAX + 1, "%s: not PEM: %s", path, openssl_error());
	else if (!sk_X509_INFO_num(items)) {
		snprintf(why, TRUST_WHY_MAX + 1, "%s: holds nothing in PEM", path);
		sk_X509_INFO_free(items);
		items = NULL;
	}
out:
	ERR_clear_error();
	free(buf);
	if (fd >= 0)
		close(fd);
	return items;
}

static void subject_text(X509_NAME *name, char *out, size_t size)
{
	if (!X509_NAME_oneline(name, out, (int)size))
		snprintf(out, size, "?");
}

/* Each item of items must be a CA certificate; they go into store and cas. */
static bool load_cas(X509_STORE *store, STACK_OF(X509) * cas, const char *path,
		     STACK_OF(X509_INFO) * items, char *why)
{
	char subject[128];
	int i;

	for (i = 0; i < sk_X509_INFO_num(items); i++) {
		X509_INFO *it = sk_X509_INFO_value(items, i);

		if (!it->x509 || it->crl || it->x_pkey) {
			snprintf(why, TRUST_WHY_MAX + 1, "%s: holds %s", path,
				 it->x_pkey ? "a private key: keep it out of this file"
				 : it->crl  ? "a CRL: give it to --client-crl"
					    : "something else than certificates");
			return false;
		}
		if (!X509_check_ca(it->x509)) {
			subject_text(X509_get_subject_name(it->x509), subject, sizeof(subject));
			snprintf(why, TRUST_WHY_MAX + 1, "%s: certificate %d (%s) is not a CA",
				 path, i + 1, subject);
			return false;
		}
		if (!X509_STORE_add_cert(store, it->x509) || !X509_up_ref(it->x509) ||
		    !sk_X509_push(cas, it->x509)) {
			snprintf(why, TRUST_WHY_MAX + 1, "%s: out of memory", path);
			return false;
		}
	}
	return true;
}

/* The CA of t that signed crl, or NULL. */
static X509 *crl_signer(const struct trust *t, X509_CRL *crl)
{
	int i;

	for (i = 0; i < sk_X509_num(t->cas); i++) {
		X509 *ca = sk_X509_value(t->cas, i);

		if (!X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) &&
		    X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1)
			return ca;
	}
	return NULL;
}

static bool any_critical(const STACK_OF(X509_EXTENSION) * exts)
{
	int i;

	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		if (X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts, i)))
			return true;
	return false;
}

/* Why crl is not a complete, direct CRL with nothing critical we would
 * ignore, or NULL. */
static const char *crl_unsupported(X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
	int i;

	if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0)
		return "a delta CRL";
	if (X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1) >= 0)
		return "limited by an issuing distribution point";
	if (any_critical(X509_CRL_get0_extensions(crl)))
		return "with a critical extension";
	for (i = 0; i < sk_X509_REVOKED_num(revoked); i++)
		if (any_critical(X509_REVOKED_get0_extensions(sk_X509_REVOKED_value(revoked, i))))
			return "with a critical extension in an entry";
	return NULL;
}

/* Every item a complete, direct CRL signed by a CA of t, one per CA: the
 * stack and its signers, or NULL with why. */
static STACK_OF(X509_CRL) *
    load_crls(struct trust *t, STACK_OF(X509_INFO) * items, X509 ***signers, char *why)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	int i, j, n = sk_X509_INFO_num(items);
	const char *bad;
	char issuer[128];

	*signers = calloc((size_t)n, sizeof(**signers));
	snprintf(why, TRUST_WHY_MAX + 1, "%s: out of memory", t->crl_path);
	for (i = 0; crls && *signers && i < n; i++) {
		X509_INFO *it = sk_X509_INFO_value(items, i);

		if (!it->crl || it->x509 || it->x_pkey) {
			snprintf(why, TRUST_WHY_MAX + 1, "%s: holds %s", t->crl_path,
				 it->x_pkey ? "a private key: keep it out of this file"
				 : it->x509 ? "a certificate: give it to --client-ca"
					    : "something else than CRLs");
			goto fail;
		}
		subject_text(X509_CRL_get_issuer(it->crl), issuer, sizeof(issuer));
		if (!((*signers)[i] = crl_signer(t, it->crl))) {
			snprintf(why, TRUST_WHY_MAX + 1,
				 "%s: CRL %d (issuer %s) is not signed by a CA of --client-ca",
				 t->crl_path, i + 1, issuer);
			goto fail;
		}
		if ((bad = crl_unsupported(it->crl))) {
			snprintf(why, TRUST_WHY_MAX + 1,
				 "%s: CRL %d (issuer %s) is %s: only complete, direct CRLs",
				 t->crl_path, i + 1, issuer, bad);
			goto fail;
		}
		for (j = 0; j < i; j++)
			if ((*signers)[j] == (*signers)[i]) {
				snprintf(why, TRUST_WHY_MAX + 1,
					 "%s: CRLs %d and %d are both of %s: keep the newest only",
					 t->crl_path, j + 1, i + 1, issuer);
				goto fail;
			}
		if (!X509_CRL_up_ref(it->crl))
			goto fail;
		if (!sk_X509_CRL_push(crls, it->crl)) {
			X509_CRL_free(it->crl);
			goto fail;
		}
	}
	if (!crls || !*signers)
		goto fail;
	ERR_clear_error();
	return crls;
fail:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	free(*signers);
	*signers = NULL;
	ERR_clear_error();
	return NULL;
}

/* One line per CRL that is already past its nextUpdate: every certificate
 * it covers is refused, and the operator should know at once. */
static void warn_expired(const struct trust *t)
{
	char issuer[128];
	int i;

	for (i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(t->crls, i);
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
		time_t when = t->has_time ? t->at : time(NULL);

		if (!next || X509_cmp_time(next, &when) > 0)
			continue;
		subject_text(X509_CRL_get_issuer(crl), issuer, sizeof(issuer));
		fcgi_log(LOG_ERR,
			 "--client-crl %s: the CRL of %s has expired (nextUpdate passed): "
			 "its certificates are refused until a fresh CRL is in place",
			 t->crl_path, issuer);
	}
}

/* (Re)load the CRL file; on failure no CRL is in force and crl_error says
 * why. False on failure. */
static bool crl_reload(struct trust *t)
{
	STACK_OF(X509_INFO) *items = read_items(t->crl_path, &t->crl_id, t->crl_error);
	X509 **signers = NULL;
	STACK_OF(X509_CRL) *crls =
	    items && t->store ? load_crls(t, items, &signers, t->crl_error) : NULL;

	sk_X509_INFO_pop_free(items, X509_INFO_free);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t->crl_signer);
	t->crls = crls;
	t->crl_signer = signers;
	return crls != NULL;
}

/* (Re)load the CA file, and then the CRL file, whose CRLs the CAs sign; on
 * failure no CA is in force and ca_error says why. False on failure. */
static bool ca_reload(struct trust *t)
{
	STACK_OF(X509_INFO) *items = read_items(t->ca_path, &t->ca_id, t->ca_error);
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *cas = sk_X509_new_null();
	bool ok = false;

	/* the CRLs name their signers among the CAs about to go */
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	t->crls = NULL;
	free(t->crl_signer);
	t->crl_signer = NULL;
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->cas, X509_free);
	t->store = NULL;
	t->cas = NULL;
	if (!items)
		goto out;
	snprintf(t->ca_error, sizeof(t->ca_error), "%s: out of memory", t->ca_path);
	if (!store || !cas)
		goto out;
	X509_STORE_set_depth(store, TRUST_CHAIN_DEPTH_MAX);
	X509_STORE_set_purpose(store, X509_PURPOSE_SSL_CLIENT);
	X509_STORE_set_trust(store, X509_TRUST_SSL_CLIENT);
	if (!load_cas(store, cas, t->ca_path, items, t->ca_error))
		goto out;
	t->store = store;
	t->cas = cas;
	store = NULL;
	cas = NULL;
	ok = true;
	if (t->crl_path && crl_reload(t))
		warn_expired(t);
out:
	X509_STORE_free(store);
	sk_X509_pop_free(cas, X509_free);
	sk_X509_INFO_pop_free(items, X509_INFO_free);
	ERR_clear_error();
	return ok;
}

struct trust *trust_new(const char *ca_file, const char *crl_file, char *why)
{
	struct trust *t = calloc(1, sizeof(*t));

	snprintf(why, TRUST_WHY_MAX + 1, "out of memory");
	if (!t || !(t->ctx = X509_STORE_CTX_new()) || !(t->ca_path = strdup(ca_file)) ||
	    (crl_file && !(t->crl_path = strdup(crl_file))))
		goto fail;
	t->checked_ms = clock_ms();
	if (!ca_reload(t)) {
		snprintf(why, TRUST_WHY_MAX + 1, "%s", t->ca_error);
		goto fail;
	}
	if (crl_file && !t->crls) {
		snprintf(why, TRUST_WHY_MAX + 1, "%s", t->crl_error);
		goto fail;
	}
	return t;
fail:
	trust_free(t);
	return NULL;
}

void trust_free(struct trust *t)
{
	if (!t)
		return;
	X509_STORE_CTX_free(t->ctx);
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->cas, X509_free);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t->crl_signer);
	free(t->ca_path);
	free(t->crl_path);
	free(t);
}

static bool same_file(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtim.tv_sec == b->mtim.tv_sec && a->mtim.tv_nsec == b->mtim.tv_nsec &&
	       a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* What path is now, by one stat. */
static void look(const char *path, struct file_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (!stat(path, &st))
		*id = (struct file_id){st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

void trust_reload_check(struct trust *t, int64_t now)
{
	struct file_id id;

	if (now - t->checked_ms < TRUST_RELOAD_CHECK_MS)
		return;
	t->checked_ms = now;
	look(t->ca_path, &id);
	if (!same_file(&id, &t->ca_id)) {
		if (!ca_reload(t)) {
			fcgi_log(
			    LOG_ERR,
			    "--client-ca: %s; every client certificate is refused until it can "
			    "be loaded",
			    t->ca_error);
			return;
		}
		fcgi_log(LOG_NOTICE, "--client-ca %s reloaded: %d CA%s", t->ca_path,
			 sk_X509_num(t->cas), sk_X509_num(t->cas) == 1 ? "" : "s");
		if (t->crl_path && !t->crls)
			fcgi_log(LOG_ERR,
				 "--client-crl: %s; every client certificate is refused until it "
				 "can be loaded",
				 t->crl_error);
		return;
	}
	if (!t->crl_path || !t->store)
		return;
	look(t->crl_path, &id);
	if (same_file(&id, &t->crl_id))
		return;
	if (crl_reload(t)) {
		fcgi_log(LOG_NOTICE, "--client-crl %s reloaded: %d CRL%s", t->crl_path,
			 sk_X509_CRL_num(t->crls), sk_X509_CRL_num(t->crls) == 1 ? "" : "s");
		warn_expired(t);
	} else {
		fcgi_log(LOG_ERR,
			 "--client-crl: %s; every client certificate is refused until it can be "
			 "loaded",
			 t->crl_error);
	}
}

void trust_set_time(struct trust *t, time_t when)
{
	t->has_time = true;
	t->at = when;
}

static bool refuse(struct trust *t, const char **why, const char *what, int depth)
{
	if (depth > 0)
		snprintf(t->why, sizeof(t->why),
			 "client certificate does not verify against --client-ca: %s (at depth %d)",
			 what, depth);
	else
		snprintf(t->why, sizeof(t->why),
			 "client certificate does not verify against --client-ca: %s", what);
	*why = t->why;
	return false;
}

/* The CRL in force for what ca issued, or NULL. */
static X509_CRL *crl_of(const struct trust *t, X509 *ca)
{
	int i;

	for (i = 0; i < sk_X509_CRL_num(t->crls); i++)
		if (!X509_cmp(t->crl_signer[i], ca))
			return sk_X509_CRL_value(t->crls, i);
	return NULL;
}

/* X509_V_OK, or why the verified chain fails the CRLs, at *depth. */
static int revocation(const struct trust *t, STACK_OF(X509) * chain, time_t when, int *depth)
{
	X509_REVOKED *rev;
	X509_CRL *crl;
	X509 *x;
	int i, c;

	/* the last is the trust anchor, a root of --client-ca itself */
	for (i = 0; i + 1 < sk_X509_num(chain); i++) {
		*depth = i;
		x = sk_X509_value(chain, i);
		if (!(crl = crl_of(t, sk_X509_value(chain, i + 1))))
			return X509_V_ERR_UNABLE_TO_GET_CRL;
		if (!(c = X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &when)))
			return X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD;
		if (c > 0)
			return X509_V_ERR_CRL_NOT_YET_VALID;
		if (X509_CRL_get0_nextUpdate(crl)) {
			if (!(c = X509_cmp_time(X509_CRL_get0_nextUpdate(crl), &when)))
				return X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD;
			if (c < 0)
				return X509_V_ERR_CRL_HAS_EXPIRED;
		}
		if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(x)) == 1)
			return X509_V_ERR_CERT_REVOKED;
	}
	return X509_V_OK;
}

bool trust_verify(struct trust *t, X509 *x, const char **why)
{
	int ret, err, depth = 0;

	trust_reload_check(t, clock_ms());
	if (!t->store)
		return refuse(t, why, "the CA file cannot be loaded", 0);
	if (t->crl_path && !t->crls)
		return refuse(t, why, "the CRL file cannot be loaded", 0);
	/* A CA is never a device, even one of the fleet's own CAs. */
	if (X509_check_ca(x))
		return refuse(t, why, "it is a CA certificate", 0);
	if (!X509_STORE_CTX_init(t->ctx, t->store, x, NULL)) {
		ERR_clear_error();
		*why = "out of memory";
		return false;
	}
	if (t->has_time)
		X509_STORE_CTX_set_time(t->ctx, 0, t->at);
	ret = X509_verify_cert(t->ctx);
	err = X509_STORE_CTX_get_error(t->ctx);
	depth = X509_STORE_CTX_get_error_depth(t->ctx);
	if (ret == 1 && t->crls &&
	    (err = revocation(t, X509_STORE_CTX_get0_chain(t->ctx),
			      t->has_time ? t->at : time(NULL), &depth)) != X509_V_OK)
		ret = 0;
	if (ret != 1)
		refuse(t, why,
		       err != X509_V_OK ? X509_verify_cert_error_string(err) : "internal error",
		       depth);
	X509_STORE_CTX_cleanup(t->ctx);
	ERR_clear_error();
	return ret == 1;
}
