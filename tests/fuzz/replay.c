// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replays a fuzz target's committed corpus without libFuzzer, so that
 * `make check` (gcc, no clang) runs every seed and every regression input
 * through the real parser on every build.  Linked with one fuzz_NAME.c as
 * build/tests/unit/test_fuzz_NAME; with no arguments it reads
 * $VU_TOP/tests/fuzz/corpus/NAME/ (NAME from its own file name), else
 * every file or directory given.  Exit 0 if every input ran, 1 otherwise;
 * a crash is a crash.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int ret = -1;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		goto out;
	/* An exact-size heap copy: a read past the input is an ASan error
	 * when check runs with SANITIZE=address. */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	(*n)++;
	ret = 0;
out:
	if (ret < 0)
		fprintf(stderr, "replay: %s: cannot read\n", path);
	free(buf);
	fclose(f);
	return ret;
}

static int run_path(const char *path, unsigned *n)
{
	struct dirent **ents;
	struct stat st;
	int k, ret = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, n);
	k = scandir(path, &ents, NULL, alphasort);
	if (k < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < k; i++) {
		char sub[4096];

		if (ents[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
			if (run_path(sub, n) < 0)
				ret = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return ret;
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/'), *top = getenv("VU_TOP");
	char dir[4096];
	unsigned n = 0;
	int ret = 0;

	self = self ? self + 1 : argv[0];
	if (strncmp(self, "test_fuzz_", 10) == 0)
		self += 10;
	if (argc < 2) {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".", self);
		ret = run_path(dir, &n);
		if (n == 0) {
			fprintf(stderr, "replay: %s: no inputs\n", dir);
			ret = -1;
		}
	}
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &n) < 0)
			ret = -1;
	printf("replay %s: %u inputs\n", self, n);
	return ret < 0 ? 1 : 0;
}
