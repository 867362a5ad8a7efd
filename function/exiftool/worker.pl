#!/usr/bin/perl
# ExifTool worker: a preloaded parent that forks one child per object.
#
# The parent loads Perl, Image::ExifTool and the compiled exiftool application
# once, and never parses a file. For each command it forks a child that runs
# the application exactly as `exiftool ARGS FILE` would run in a new process,
# then exits. ExifTool keeps state between files in one process (byte order,
# loaded modules' Composite tags, tag-table entries a file can rewrite), so a
# child that starts from the untouched parent prints what a fresh process
# prints for that file alone, whatever was parsed before it; its memory goes
# back to the system when it exits, and a crash costs that child only.
#
# The object is a fixed pseudo path, OBJECT_PATH. Opening it ties the handle
# to a reader whose reads and seeks are answered by the Node side over fd 3/4,
# so ExifTool sees a random-access file while only the ranges it asks for are
# fetched from S3. The object's real name never appears among exiftool's
# arguments: it comes over the side channel, where no byte of it can be read
# as an option.
#
# Usage: perl worker.pl PATH/TO/exiftool
#   stdin:  commands, one argument per line, each ended by "-execute<N>"
#   stdout, stderr: the child's output, then "\n{ready<N>}\n" from the parent
#   fd 3:   replies from Node; fd 4: requests to Node
# ARCHITECTURE.md documents the frames.
use strict;
use warnings;
use POSIX ();
use Scalar::Util ();

use constant OBJECT_PATH => '/dev/null/s3-object';

# A child ends as a new exiftool process does, up to its last END block: the
# application's (Cleanup) and any a module loaded in the child registered run
# before this one, the first compiled. Then it leaves without Perl's global
# destruction, which walks every value the parent compiled for nothing; its
# output is flushed first, as a normal exit would.
my $inChild = 0;
END {
    if ($inChild) {
        for my $fh (\*STDOUT, \*STDERR) { my $old = select $fh; $| = 1; select $old }
        POSIX::_exit($?);
    }
}

# Every `require` (and `use`) compiled from here on, ExifTool's and the
# application's, goes through require_in_view: see "Format modules" below.
BEGIN { *CORE::GLOBAL::require = sub { require_in_view($_[0]) } }

my %hidden;     # file => its path in %INC, for the files format preloading loaded
my %shown;      # hidden files this child has loaded, as a new process would have
my %effects;    # file => its load's effects, in order: [require => FILE] or [composite => ARGS]
my %tableFile;  # table => the hidden file that defines it outside that file's package
my %tables;     # hidden file => [[name, \%hash, \%empty], ...]: the ExifTool hashes (tag tables, lookups) its load filled
my @loading;    # the files format preloading is loading, innermost last
my $preloading = 0;
my $inView = 0; # in a child: requires follow what a new process has loaded

sub require_in_view {
    my ($file) = @_;
    if ($inView and $hidden{$file} and not $shown{$file}) {
        # what loading it did outside its own code, in the order it did it
        $shown{$file} = 1;
        $INC{$file} = $hidden{$file};
        # its hashes come back once the files it uses are in, before its
        # Composite tags, whose registration reads them
        my $revealed = 0;
        for my $effect (@{$effects{$file}}) {
            my ($kind, @args) = @$effect;
            if ($kind eq 'require') {
                require_in_view($args[0]);
            } else {
                reveal($file) unless $revealed++;
                Image::ExifTool::AddCompositeTags(@args);
            }
        }
        reveal($file) unless $revealed;
        $@ = '';    # as a require that compiles a file leaves it
        return 1;
    }
    if ($hidden{$file}) {
        # in the parent, a format module that uses one loaded before it:
        # recorded, not compiled a second time
        push @{$effects{$loading[-1]}}, [require => $file] if $preloading and @loading;
        return 1;
    }
    push @loading, $file if $preloading;
    my $loaded = exists $INC{$file};
    my $before = $@;
    my @result = eval { CORE::require($file) };
    my $error = $@;
    pop @loading if $preloading;
    if ($error) {
        # the message names the require's own line, as without this sub
        my (undef, $path, $line) = caller(1);
        $error =~ s/ at \Q${\ __FILE__}\E line \d+(, <\w+> (?:line|chunk) \d+)?\.\n\z/
            " at $path line $line" . (defined $1 ? $1 : '') . ".\n"/e if defined $path;
        die $error;
    }
    # a require that compiles a file clears $@, one of a loaded file leaves it
    $@ = $loaded ? $before : '';
    # only a load that succeeded has effects to repeat; a failed one fails alike in the child
    push @{$effects{$loading[-1]}}, [require => $file] if $preloading and @loading;
    return $result[0];
}

# --preloaded: print the ExifTool modules the parent has loaded, and exit;
# --formats: load every format module of FORMAT_MODULES first, and print the
# files that hid; --effects: and what a child makes when it loads each, in
# order (for the audits in test/engine/preloading.test.ts)
my $listPreloaded = (@ARGV and $ARGV[0] =~ /^--(preloaded|formats|effects)$/) ? shift @ARGV : undef;
my $exiftool = shift @ARGV or die "usage: worker.pl [--preloaded|--formats|--effects] PATH/TO/exiftool\n";
my ($exeDir) = $exiftool =~ m{^(.*)[\\/]} ? ($1) : ('.');
unshift @INC, "$exeDir/lib";
require Image::ExifTool;
wrap_table_loader();

open(my $replies, '<&=', 3) or die "worker: cannot open fd 3 (replies): $!\n";
open(my $requests, '>&=', 4) or die "worker: cannot open fd 4 (requests): $!\n";
binmode $_ for $replies, $requests, \*STDIN, \*STDOUT, \*STDERR;
for my $fh ($requests, \*STDOUT, \*STDERR) { my $old = select $fh; $| = 1; select $old }

sub read_exact {
    my ($len) = @_;
    my $buf = '';
    while (length($buf) < $len) {
        my $n = sysread($replies, $buf, $len - length($buf), length $buf);
        die "worker: side channel closed\n" unless $n;
    }
    return $buf;
}

sub send_frame {
    my ($type, $payload) = @_;
    print $requests pack('a1 N', $type, length $payload), $payload;
}

# One request frame out, one reply frame back: 1-byte type, u32 length, payload.
sub call_node {
    send_frame(@_);
    my ($rtype, $len) = unpack('a1 N', read_exact(5));
    return ($rtype, read_exact($len));
}

# The object being extracted, as Node describes it: name, directory, size and
# Last-Modified (Unix seconds). Asked once per child; a child serves one object.
my $object;
sub current_object {
    return $object if $object;
    my ($type, $payload) = call_node('O', '');
    die "worker: unexpected reply '$type' to open\n" unless $type eq 'I';
    my ($size, $mtime, $dirLen) = unpack('Q> Q> N', $payload);
    my $dir = substr($payload, 20, $dirLen);
    my $name = substr($payload, 20 + $dirLen);
    return $object = { size => $size, mtime => $mtime, dir => $dir, name => $name };
}

# stat() and -f on the tied handle find no real file; ExifTool copes, so the
# warnings Perl prints about it are noise
$SIG{__WARN__} = sub {
    print STDERR $_[0] unless $_[0] =~ /on unopened filehandle EXIFTOOL_FILE/;
};

my %original = map { $_ => \&{"Image::ExifTool::$_"} }
    qw(Open Exists IsDirectory SplitFileName GetFileExtension);
my $isObject = sub { defined $_[0] and $_[0] eq OBJECT_PATH };

# Replaces an Image::ExifTool function, keeping its prototype so that callers
# compiled later (the exiftool application) see the same signature.
sub override {
    my ($name, $code) = @_;
    Scalar::Util::set_prototype(\&$code, prototype($original{$name}));
    no strict 'refs';
    no warnings 'redefine';
    *{"Image::ExifTool::$name"} = $code;
}

override Exists => sub {
    return 1 if $isObject->($_[1]);
    return $original{Exists}->(@_);
};
override IsDirectory => sub {
    return 0 if $isObject->($_[1]);
    return $original{IsDirectory}->(@_);
};
override SplitFileName => sub {
    return $original{SplitFileName}->(@_) unless $isObject->($_[0]);
    my $obj = current_object();
    return ($obj->{dir}, $obj->{name});
};
override GetFileExtension => sub {
    return $original{GetFileExtension}->(@_) unless $isObject->($_[0]);
    return $original{GetFileExtension}->(current_object()->{name});
};
override Open => sub {
    my ($self, $fh, $file, $mode) = @_;
    # the object is the only file a child may open: whatever an option or a
    # file's content asks for, no other file is read or written
    unless ($isObject->($file)) {
        $self->Warn("Refused to open a file other than the object") if ref $self;
        return 0;
    }
    # the object is read-only: refuse any write or append mode
    return 0 if defined $mode and $mode ne '<';
    my $obj = current_object();
    tie *$fh, 'S3ObjectHandle', $obj->{size};
    # stat() cannot see through a tied handle, so the System tags that
    # describe a local file come from S3 instead, converted by ExifTool
    $self->FoundTag('FileSize', $obj->{size});
    $self->FoundTag('FileModifyDate', $obj->{mtime});
    return 1;
};

# Archive::Zip re-opens an archive given as a handle with IO::Handle's
# fdopen (a dup of its descriptor) before reading each member. The object's
# handle has no descriptor, so a "dup" of it is another handle on the object.
require IO::Handle;
{
    my $fdopen = \&IO::Handle::fdopen;
    no warnings 'redefine';
    *IO::Handle::fdopen = sub {
        my ($io, $fd) = @_;
        my $object = ref($fd) ? tied(*$fd) : undef;
        return $fdopen->(@_) unless Scalar::Util::blessed($object) and $object->isa('S3ObjectHandle');
        tie *$io, 'S3ObjectHandle', $object->{size};
        return $io;
    };
}

# Compile the exiftool application once, as a named sub that only children
# call. A child calls it once, so its file-scope variables start as the
# script's own do in a new process ("will not stay shared" does not apply to
# a sub's first call); the BEGIN block runs here, with no arguments. At file
# scope a bare `shift` takes from @ARGV, inside a sub from @_: @_ is made
# @ARGV for the call.
sub compile_application {
    open(my $fh, '<', $exiftool) or die "worker: cannot read $exiftool: $!\n";
    my $source = do { local $/; <$fh> };
    close $fh;
    $source =~ s/\n__END__\n.*//s;
    local @ARGV = ();
    local $0 = $exiftool;
    local $SIG{__WARN__} = sub {
        print STDERR $_[0] unless $_[0] =~ /will not stay shared|uninitialized value \$curTitle/;
    };
    my $ok = eval "package main;\nsub RunExifTool {\nlocal *_ = \\\@ARGV;\n#line 1 \"$exiftool\"\n$source\n}\n1;";
    die "worker: cannot compile $exiftool: $@\n" unless $ok;
}
compile_application();

# What every `exiftool -json` process loads before it reads a file, loaded
# here once in the same order: Image::ExifTool->new sets up the Exif table
# (Exif.pm, which uses MakerNotes.pm) and -json requires XMP.pm (which uses
# GPS.pm). Their load-time effects, Composite tags included, are then the
# same in every child as in a new process. After the application, so that it
# compiles as it does in a new process, before either module exists. (The
# worker always passes -json first, and new() runs before any argument.)
# test/engine/preloading.test.ts holds this to what a new process loads, so
# a release that changes it fails there, naming the module to audit.
Image::ExifTool::GetTagTable('Image::ExifTool::Exif::Main');
require Image::ExifTool::XMP;

# Also Writer.pl, with the TagLookup.pm and Fixup.pm it uses: ExifTool's
# AUTOLOAD loads it while reading some files (35 of the 239 samples and
# photos, Apple's maker notes among them), 55 ms of compiling each time.
# Its subs exist in every child from the start, where a new process has
# them only once AUTOLOAD has loaded it; what that changes is its one
# load-time effect outside its own code (test/engine/preloading.test.ts
# audits it): its check of float writing sets the byte order and restores
# it, which leaves $swapBytes and $swapWords set where a new process has
# them undefined until its first SetByteOrder. The parent undoes that, and a
# child redoes it where a new process would load Writer.pl: at the first call
# of any of its subs, through whatever name the call was compiled against.
sub preload_writer {
    no strict 'refs';
    my @byteOrder = map { \${"Image::ExifTool::$_"} } qw(currentByteOrder swapBytes swapWords);
    my @before = map { $$_ } @byteOrder;
    my %unpackStd = %Image::ExifTool::unpackStd;
    require 'Image/ExifTool/Writer.pl';
    $$_ = shift @before for @byteOrder;
    %Image::ExifTool::unpackStd = %unpackStd;

    require B;
    my $path = $INC{'Image/ExifTool/Writer.pl'};
    my $loaded = 0;
    my %wrapper;
    my @stashes = ('main::');
    while (my $stash = shift @stashes) {
        for my $name (keys %$stash) {
            if ($name =~ /::$/) {
                push @stashes, $stash eq 'main::' ? $name : "$stash$name" unless $name eq 'main::';
                next;
            }
            my $entry = \${$stash}{$name};
            next unless ref $entry eq 'GLOB' and my $code = *$entry{CODE};
            my $cv = B::svref_2object($code);
            next if $cv->XSUB or $cv->FILE ne $path;
            $wrapper{0 + $code} ||= do {
                my $first = sub {
                    unless ($loaded) {
                        $loaded = 1;
                        Image::ExifTool::SetByteOrder(Image::ExifTool::GetByteOrder());
                    }
                    goto &$code;
                };
                Scalar::Util::set_prototype(\&$first, prototype($code));
                $first;
            };
            no warnings 'redefine';
            *$entry = $wrapper{0 + $code};
        }
    }
}
preload_writer();

# Format modules. A child that meets a camera's maker notes or a video would
# compile its module (Nikon.pm alone takes 60 ms) where a warm process has it
# already. So the parent loads the modules below too, one per object it
# serves (the first objects are not kept waiting for all of them): right
# after the object's result, or while its child runs if the next object
# already waits (see the main loop); but a child must see them as
# a new process does: not loaded until its file needs them. Loading such a
# module does two things outside its own package: it registers its Composite
# tags (AddCompositeTags, which also sets up the Composite table) and it loads
# other modules. In the parent both are recorded, in order, instead; %INC
# lists none of the files; and a child makes them where a new process would
# load the module: at its first `require` (directly, by `use`, or by
# GetTagTable of one of its tables, which requires a module only while its
# table is empty). test/engine/preloading.test.ts audits these modules for any
# other load-time effect, for `defined &`, `can` and AUTOLOAD paths into them,
# and for code that compiles differently before and after them, and fails on
# a release that adds one, naming the module. Chosen by what a new process
# spends compiling them and how often uploads need them (bench/README.md).
# Then XMP2.pl, the XMP namespaces GetTagTable loads on first use (IPTC
# Extension, xmpDM, HDR gain maps, ...; 6 ms a child): its tables live in
# XMP.pm's package, so GetTagTable of one of them shows it (%tableFile
# below). Last, Archive::Zip, which ZIP.pm requires for every office document
# (docx, xlsx, odt, Numbers, ...): a child spent 50 ms compiling it and what
# it uses (File::Temp, Encode, Compress::Raw::Zlib, ...), hidden alike.
use constant FORMAT_MODULES => (map({ "Image/ExifTool/$_.pm" } qw(
    Canon Nikon Sony Olympus Panasonic FujiFilm Pentax Samsung Apple QuickTime
    ICC_Profile Photoshop IPTC FlashPix MPF PrintIM Kodak Casio Ricoh Sigma
    Charset JPEG ID3 Text CanonCustom Google PDF ZIP Jpeg2000 PNG
)), qw(Image/ExifTool/XMP2.pl Archive/Zip.pm));

# They take the parent from about 39 to 72 MB of address space, which every
# child shares: under a worker's smallest memory caps that would leave a child
# too little for its file, so they are loaded only when the cap leaves room.
use constant FORMAT_MIN_ADDRESS_SPACE => 192 * 1024 * 1024;
sub address_space_limit {
    open(my $fh, '<', '/proc/self/limits') or return undef;
    while (my $line = <$fh>) {
        return $1 eq 'unlimited' ? undef : $1 if $line =~ /^Max address space\s+(\S+)/;
    }
    return undef;
}
my $addressSpace = address_space_limit();
my @toPreload = defined $addressSpace && $addressSpace < FORMAT_MIN_ADDRESS_SPACE ? () : FORMAT_MODULES;
my $preloadError;

# The hashes with entries in the given stashes (or in every package under
# Image::ExifTool), by name.
sub filled_hashes {
    my @stashes = @_ ? @_ : ('Image::ExifTool::');
    my $deep = not @_;
    no strict 'refs';
    my %hashes;
    while (my $stash = shift @stashes) {
        for my $name (keys %$stash) {
            if ($name =~ /::$/) { push @stashes, "$stash$name" if $deep; next }
            my $glob = \${$stash}{$name};
            next unless ref $glob eq 'GLOB' and *$glob{HASH} and %{*$glob{HASH}};
            $hashes{"$stash$name"} = *$glob{HASH};
        }
    }
    return \%hashes;
}

# A hidden module's hashes, its tag tables above all, are empty in the
# parent's globs, and come back when a child loads the module: code that
# tests a table by a computed name before GetTagTable (OOXML.pm, for an XML
# namespace that names a table) finds it empty, as in a new process that has
# not loaded that module.
# (each glob gets one empty hash of its own, kept: concealing again between
# steps allocates nothing, so no freed memory is left for children to land in)
sub conceal {
    no strict 'refs';
    for my $list (values %tables) { *{$_->[0]} = ($_->[2] ||= {}) for @$list }
}
sub reveal {
    no strict 'refs';
    *{$_->[0]} = $_->[1] for @{$tables{$_[0]} || []};
}

sub preload_format {
    my $file = shift @toPreload or return;
    # the modules loaded before it, as this one's load would find them
    reveal($_) for keys %tables;
    # a file that is not its package's module (XMP2.pl) defines tables in a
    # package loaded before it: GetTagTable would require it for them
    my $tablesBefore = $file =~ /\.pl$/ ? filled_hashes() : undef;
    my $addCompositeTags = \&Image::ExifTool::AddCompositeTags;
    my $record = sub { push @{$effects{$loading[-1]}}, [composite => @_] };
    Scalar::Util::set_prototype(\&$record, prototype($addCompositeTags));
    my %before = %INC;
    my $loaded = do {
        no warnings 'redefine';
        local *Image::ExifTool::AddCompositeTags = $record;
        $preloading = 1;
        my $ok = eval { require_in_view($file) };
        $preloading = 0;
        $ok;
    };
    my @brought = grep { not exists $before{$_} } keys %INC;
    $hidden{$_} = delete $INC{$_} for @brought;
    # each ExifTool module it brought in owns its package's hashes
    my %own = map { (my $p = $_) =~ s{/}{::}g; $p =~ s/\.pm$/::/; ($p => $_) }
        grep { m{^Image/ExifTool/.*\.pm$} } @brought;
    for my $package (sort keys %own) {
        my $hashes = filled_hashes($package);
        push @{$tables{$own{$package}}}, map { [$_, $hashes->{$_}] } sort keys %$hashes;
    }
    if ($tablesBefore and $loaded) {
        my $after = filled_hashes();
        for my $table (sort grep { not $tablesBefore->{$_} } keys %$after) {
            (my $package = $table) =~ s/\w+$//;
            next if $own{$package};
            $tableFile{$table} = $file;
            push @{$tables{$file}}, [$table, $after->{$table}];
        }
    }
    conceal();
    # a module that fails to load here (none does: the audit loads them all)
    # ends preloading; a child loads it, or fails to, as a new process would
    return 1 if $loaded;
    $preloadError = "$file: $@";
    @toPreload = ();
    return 0;
}

# Huge pages. Forking copies the parent's page table entry by entry and a
# child's exit drops them again, so a child pays for every 4 KiB page the
# parent holds (about 2 and 3 ms at 64 MB). Once preloading is done, the
# parent asks the kernel to back its heap with transparent huge pages
# (madvise MADV_HUGEPAGE, then MADV_COLLAPSE to do it now): fork and exit then
# handle one entry per 2 MiB, and a child that writes to one splits that
# entry and copies 4 KiB, as before. Nothing a child computes changes. The
# kernel decides: with THP set to "never", a kernel before 6.1 (no
# MADV_COLLAPSE) or another architecture, the pages stay as they were.
# test/engine/huge-pages.test.ts checks the parent's AnonHugePages.
use constant { MADV_HUGEPAGE => 14, MADV_COLLAPSE => 25 };
my %MADVISE_SYSCALL = (x86_64 => 28, aarch64 => 233);
sub first_line {
    open(my $fh, '<', $_[0]) or return '';
    my $line = <$fh>;
    return defined $line ? $line : '';
}
sub advise_huge_pages {
    my $madvise = $MADVISE_SYSCALL{(POSIX::uname())[4]} or return;
    return if first_line('/sys/kernel/mm/transparent_hugepage/enabled') =~ /\[never\]/;
    my $huge = int(first_line('/sys/kernel/mm/transparent_hugepage/hpage_pmd_size')) or return;
    open(my $maps, '<', '/proc/self/maps') or return;
    while (my $line = <$maps>) {
        # private writable anonymous memory: the heap and malloc's own mappings
        my ($from, $to, $perms, $name) = $line =~ /^(\w+)-(\w+) (\S+) \S+ \S+ \S+\s*(.*)$/ or next;
        next unless $perms eq 'rw-p' and ($name eq '' or $name eq '[heap]');
        my $start = (hex($from) + $huge - 1) - (hex($from) + $huge - 1) % $huge;
        my $end = hex($to) - hex($to) % $huge;
        next unless $end > $start;
        next unless syscall($madvise, $start, $end - $start, MADV_HUGEPAGE) == 0;
        syscall($madvise, $start, $end - $start, MADV_COLLAPSE);
    }
}
my $hugePagesAsked = 0;

# The parent's preparation between objects, one step at a time: the next
# format module, then huge pages once they are all in.
sub preparing { @toPreload or not $hugePagesAsked }
sub prepare_step {
    return preload_format() if @toPreload;
    advise_huge_pages();
    $hugePagesAsked = 1;
}

# GetTagTable requires a table's module only while the table is empty (and
# XMP2.pl for an empty table of XMP's package); in a child, a table of a
# hidden file is one a new process has not built yet, so its file is
# required first.
sub wrap_table_loader {
    my $getTagTable = \&Image::ExifTool::GetTagTable;
    my $loader = sub {
        if ($inView and defined $_[0]) {
            my $file = $tableFile{$_[0]};
            ($file = "$1.pm") =~ s{::}{/}g if not $file and $_[0] =~ /^(.*)::/;
            require_in_view($file) if $file and $hidden{$file} and not $shown{$file};
        }
        goto &$getTagTable;
    };
    Scalar::Util::set_prototype(\&$loader, prototype($getTagTable));
    no warnings 'redefine';
    *Image::ExifTool::GetTagTable = $loader;
}

if ($listPreloaded) {
    if ($listPreloaded ne '--preloaded') {
        preload_format() while @toPreload;
        die "worker: cannot preload $preloadError" if $preloadError;
        for my $file (sort keys %hidden) {
            print "$file\n" if $listPreloaded eq '--formats';
            next unless $listPreloaded eq '--effects';
            print "$file @$_\n" for @{ $effects{$file} || [] };
            print "$file table $_\n" for sort grep { $tableFile{$_} eq $file } keys %tableFile;
        }
    } else {
        print "$_\n" for sort grep { m{^Image/ExifTool[./]} } keys %INC;
    }
    POSIX::_exit(0);
}

# One command from stdin: its arguments and its id, or () at end of input.
# Read unbuffered by Perl, so that command_pending can tell whether one waits.
my $stdin = '';
sub read_command {
    my @args;
    while (1) {
        while ($stdin =~ s/\A([^\n]*)\n//) {
            my $line = $1;
            return ($1, @args) if $line =~ /^-execute(\d+)$/;
            push @args, $line;
        }
        return () unless sysread(STDIN, $stdin, 65536, length $stdin);
    }
}

# Whether Node has sent (part of) the next command already.
sub command_pending {
    return 1 if length $stdin;
    my $bits = '';
    vec($bits, fileno(STDIN), 1) = 1;
    return select($bits, undef, undef, 0) > 0;
}

# After each child, whatever Node may still send for it (an answer that came
# after the child died or was killed, or the rest of a long reply it was
# reading) must not reach the next child. The parent asks Node to mark the end
# of that job's replies with a random token, and discards everything on fd 3
# up to the token: no file can predict it.
open(my $urandom, '<', '/dev/urandom') or die "worker: cannot open /dev/urandom: $!\n";
binmode $urandom;

sub resync {
    my ($id) = @_;
    my $token = '';
    read($urandom, $token, 16) == 16 or die "worker: cannot read /dev/urandom: $!\n";
    send_frame('S', pack('N', $id) . $token);
    my $mark = pack('a1 N', 'S', length $token) . $token;
    my $seen = '';
    while (1) {
        my $n = sysread($replies, $seen, 65536, length $seen);
        die "worker: side channel closed\n" unless $n;
        return if index($seen, $mark) >= 0;
        $seen = substr($seen, -(length($mark) - 1));
    }
}

sub run_child {
    my (@args) = @_;
    # the parent's stdin carries later commands: not this child's; closed
    # first, as a reopened handle would keep a line count Perl adds to its
    # messages ("<STDIN> line 3")
    close STDIN;
    open(STDIN, '<', '/dev/null');
    close $urandom;
    # block-buffered, as in a new exiftool process (the parent flushes each line)
    { my $old = select STDOUT; $| = 0; select $old; }
    $0 = $exiftool;
    @ARGV = @args;
    $inChild = $inView = 1;
    RunExifTool();
    exit 0;
}

my $version = $Image::ExifTool::VERSION;
print STDOUT "$version\n\n{ready0}\n";
print STDERR "\n{ready0}\n";

my $stepOwed = 0;
while (my ($id, @args) = read_command()) {
    my $pid = fork;
    if (not defined $pid) {
        print STDERR "worker: cannot fork: $!\n";
        send_frame('X', pack('N N', $id, 0xFFFFFFFF));
    } elsif ($pid == 0) {
        run_child(@args);
    } else {
        # Node kills this pid, not the parent, when the object's deadline passes
        send_frame('P', pack('N N', $id, $pid));
        # a preparation step (a format module, or huge pages) while the
        # child runs (it was forked before, and sees none of it), when one
        # was owed or the next object is already waiting: after the child,
        # that object would wait for it
        if (preparing() and ($stepOwed or command_pending())) {
            prepare_step();
            $stepOwed = 0;
        }
        waitpid($pid, 0);
        my $status = $?;
        resync($id);
        send_frame('X', pack('N N', $id, $status));
    }
    # a leading newline keeps the marker at a line start even when a child
    # died in the middle of a line; Node drops it
    print STDOUT "\n{ready$id}\n";
    print STDERR "\n{ready$id}\n";
    # otherwise once the object's result is out, while nothing waits; with
    # the next command already here, during its child: at least one step
    # per object
    if (preparing() and not $stepOwed) {
        if (command_pending()) { $stepOwed = 1 } else { prepare_step() }
    }
}
# the END blocks compiled with the application belong to children only
POSIX::_exit(0);

# A read-only file handle whose bytes live on the Node side.
package S3ObjectHandle;

# ExifTool reads in small pieces (a few bytes of a header, then a seek); each
# piece would be a round trip to Node. Reads are served from one aligned
# window of READ_CHUNK bytes instead; Node sets it to its block size, so a
# window is blocks Node fetches from S3 anyway and this saves round trips
# without reading more of the object. S3_EXIFTOOL_READ_CHUNK=0 turns it off,
# to see ExifTool's own reads.
use constant READ_CHUNK => defined $ENV{S3_EXIFTOOL_READ_CHUNK} ? $ENV{S3_EXIFTOOL_READ_CHUNK} : 65536;
# However long a read ExifTool asks for, Node is asked for at most this much
# at a time, so its reply buffers stay small whatever a file declares.
use constant MAX_REQUEST => 1 << 20;

sub TIEHANDLE {
    my ($class, $size) = @_;
    return bless { pos => 0, size => $size, start => 0, data => '' }, $class;
}

sub fetch {
    my ($self, $offset, $len) = @_;
    my $data = '';
    while ($len > 0) {
        my $n = $len < MAX_REQUEST ? $len : MAX_REQUEST;
        my ($type, $payload) = main::call_node('R', pack('Q> N', $offset, $n));
        # 'E': the range could not be read; Node keeps the reason and reports
        # it instead of whatever ExifTool makes of a short file
        last unless $type eq 'D';
        $data .= $payload;
        last if length($payload) < $n;
        $offset += $n;
        $len -= $n;
    }
    return $data;
}

sub READ {
    my ($self, undef, $len, $offset) = @_;
    my $bufref = \$_[1];
    $offset = 0 unless defined $offset;
    $$bufref = '' unless defined $$bufref;
    my $pos = $self->{pos};
    my $want = $self->{size} - $pos;
    $want = $len if $len < $want;
    my $data = '';
    if ($want > 0) {
        my $end = $pos + $want;
        if ($pos < $self->{start} or $end > $self->{start} + length $self->{data}) {
            # drop the old window first: a long read must not hold two copies
            @$self{qw(start data)} = ($pos, '');
            if (READ_CHUNK > 0) {
                my $start = $pos - $pos % READ_CHUNK;
                my $stop = $end + (READ_CHUNK - $end % READ_CHUNK) % READ_CHUNK;
                $stop = $self->{size} if $stop > $self->{size};
                @$self{qw(start data)} = ($start, $self->fetch($start, $stop - $start));
            } else {
                @$self{qw(start data)} = ($pos, $self->fetch($pos, $want));
            }
        }
        $data = substr($self->{data}, $pos - $self->{start}, $want) if $pos - $self->{start} < length $self->{data};
        $data = '' unless defined $data;
    }
    substr($$bufref, $offset) = $data;
    $self->{pos} += length $data;
    return length $data;
}

sub READLINE {
    my ($self) = @_;
    if (wantarray) {
        my (@lines, $line);
        push @lines, $line while defined($line = $self->readline_one);
        return @lines;
    }
    return $self->readline_one;
}

# One line as <$fh> would return it for the current $/: undef slurps the
# rest, a reference to a number reads records of that size, "" is
# paragraph mode, anything else (even several bytes, such as "\r\n") ends
# a line wherever it falls, also across the chunks read here.
sub readline_one {
    my ($self) = @_;
    return undef if $self->{pos} >= $self->{size};
    my $sep = $/;
    my ($line, $chunk) = ('', '');
    if (ref $sep) {
        $self->READ($line, $$sep);
        return $line;
    }
    if (defined $sep and $sep eq '') {
        $sep = "\n\n";
    }
    while ($self->READ($chunk, 4096)) {
        my $from = length($line);
        $line .= $chunk;
        next unless defined $sep;
        $from -= length($sep) - 1;
        $from = 0 if $from < 0;
        my $end = index($line, $sep, $from);
        next if $end < 0;
        my $keep = $end + length $sep;
        $self->{pos} -= length($line) - $keep;
        return substr($line, 0, $keep);
    }
    return length $line ? $line : undef;
}

sub GETC {
    my ($self) = @_;
    my $c;
    return $self->READ($c, 1) ? $c : undef;
}

sub SEEK {
    my ($self, $pos, $whence) = @_;
    $pos += $self->{pos} if $whence == 1;
    $pos += $self->{size} if $whence == 2;
    return 0 if $pos < 0;
    $self->{pos} = $pos;
    return 1;
}

sub TELL { $_[0]{pos} }
sub EOF { $_[0]{pos} >= $_[0]{size} }
sub BINMODE { 1 }
sub CLOSE { 1 }
# Defined, so that IO::Handle::opened() is true (Archive::Zip refuses a
# handle that is not "opened"); -1 is no descriptor, so nothing can use it
# to reach a real file.
sub FILENO { -1 }
sub WRITE { 0 }
sub PRINT { 0 }
sub PRINTF { 0 }
