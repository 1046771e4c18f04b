# vclone: a new guest from a template, as links to store objects (libvunify).
MANPAGES += tools/vclone/vclone.8
