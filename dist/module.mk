# dist/: what a host needs besides the programs: the boot integration
# (vunify.service, /etc/init.d/vunify), bash completion, and the Debian
# package (make deb, make deb-check).
#
# The unit and the init script name vserver by its installed path: both are
# written from their .in templates with @SBINDIR@ filled in at install time
# (tests/vserver/autostart.t does the same substitution with build/bin).

UNITDIR     ?= $(PREFIX)/lib/systemd/system
INITDIR     ?= /etc/init.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
VU_COMPLETIONS := $(wildcard dist/completion/*)

.PHONY: install-dist uninstall-dist deb deb-check
install: install-dist
uninstall: uninstall-dist

install-dist:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(INITDIR) $(DESTDIR)$(BASHCOMPDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' dist/vunify.service.in > $(DESTDIR)$(UNITDIR)/vunify.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vunify.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' dist/vunify.init.in > $(DESTDIR)$(INITDIR)/vunify
	chmod 0755 $(DESTDIR)$(INITDIR)/vunify
	install -m 0644 $(VU_COMPLETIONS) $(DESTDIR)$(BASHCOMPDIR)/

uninstall-dist:
	rm -f $(DESTDIR)$(UNITDIR)/vunify.service $(DESTDIR)$(INITDIR)/vunify
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(notdir $(VU_COMPLETIONS)))

# --- make deb: build/vunify_VERSION_ARCH.deb with dpkg-deb alone ---------
# The package is staged by `make install` into build/deb/root with Debian's
# paths, then made what Debian policy (and lintian) asks of a binary
# package: stripped programs, gzipped man pages and changelog, the
# copyright, md5sums, the init script as the one conffile (policy: every
# file in /etc is one), Depends from dpkg-shlibdeps plus fuse3 (mount.fuse3
# and fusermount3, for mount -t fuse.vunifyfs and unmounting).
# The version: the Makefile's VERSION if it has one, else version.h's;
# "v" dropped and "-" (git describe's) made "+", so that "-1", the Debian
# revision, is the only hyphen.
DEB_UPSTREAM = $(subst -,+,$(patsubst v%,%,$(or $(VERSION),$(shell sed -n \
	's/^\#define VUNIFY_VERSION "\(.*\)"/\1/p' include/vunify/version.h))))
DEB_VERSION  ?= $(DEB_UPSTREAM)-1
DEB_ARCH     := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_MAINTAINER ?= vunify maintainers <maintainers@users.noreply.r-seed-b3f004aa.example>
DEB_FILE     = $(BUILD)/vunify_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_STAGE    := $(BUILD)/deb
DEB_ROOT     := $(DEB_STAGE)/root

deb: all
	@command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null || \
		{ echo "deb: needs dpkg-dev (make deps)" >&2; exit 1; }
	rm -rf $(DEB_STAGE)
	umask 022 && $(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_ROOT) \
		PREFIX=/usr UNITDIR=/lib/systemd/system INITDIR=/etc/init.d
	strip --remove-section=.comment --remove-section=.note --strip-unneeded \
		$(addprefix $(DEB_ROOT)/usr/sbin/,$(notdir $(PROGRAMS)))
	gzip -9n $(DEB_ROOT)/usr/share/man/man8/*.8
	install -d -m 0755 $(DEB_ROOT)/usr/share/doc/vunify $(DEB_ROOT)/DEBIAN
	install -m 0644 dist/debian/copyright $(DEB_ROOT)/usr/share/doc/vunify/copyright
	sed -e 's|@VERSION@|$(DEB_VERSION)|' -e 's|@MAINTAINER@|$(DEB_MAINTAINER)|' \
		-e "s|@DATE@|$$(date -R -d @$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)})|" \
		dist/debian/changelog.in | gzip -9n > $(DEB_ROOT)/usr/share/doc/vunify/changelog.Debian.gz
	chmod 0644 $(DEB_ROOT)/usr/share/doc/vunify/changelog.Debian.gz
	install -m 0755 dist/debian/postinst dist/debian/postrm $(DEB_ROOT)/DEBIAN/
	echo /etc/init.d/vunify > $(DEB_ROOT)/DEBIAN/conffiles
	cd $(DEB_ROOT) && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | \
		LC_ALL=C sort -z | xargs -0 md5sum > DEBIAN/md5sums
	chmod 0644 $(DEB_ROOT)/DEBIAN/md5sums $(DEB_ROOT)/DEBIAN/conffiles
	# dpkg-shlibdeps reads debian/control of a source package: a minimal one.
	mkdir -p $(DEB_STAGE)/src/debian
	printf 'Source: vunify\n\nPackage: vunify\nArchitecture: any\n' > $(DEB_STAGE)/src/debian/control
	cd $(DEB_STAGE)/src && dpkg-shlibdeps -O $(addprefix $(CURDIR)/$(DEB_ROOT)/usr/sbin/,$(notdir $(PROGRAMS))) \
		| sed -n 's/^shlibs:Depends=//p' > ../depends
	sed -e 's|@VERSION@|$(DEB_VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' \
		-e 's|@MAINTAINER@|$(DEB_MAINTAINER)|' \
		-e "s|@SIZE@|$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)|" \
		-e "s|@DEPENDS@|$$(cat $(DEB_STAGE)/depends), fuse3|" \
		dist/debian/control.in > $(DEB_ROOT)/DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB_FILE)

# Build the package, lintian it (errors fail), install it on this machine,
# mount through mount -t fuse.vunifyfs and an fstab line, remove it.
deb-check: deb
	dist/deb-check.sh $(DEB_FILE)
