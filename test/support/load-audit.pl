#!/usr/bin/perl
# Audits what loading ExifTool files does, for test/engine/preloading.test.ts.
# The base state is the worker parent's before it preloads anything else:
# Image::ExifTool, the Exif table set up (Exif.pm, MakerNotes.pm), XMP.pm
# (GPS.pm).
#
#   perl load-audit.pl effects LIB FILE...
#     Loads FILE... after the base and prints each effect outside the loaded
#     files' own code, one per line:
#       call PKG::SUB     a sub that existed before was called during the load
#       changed PKG::VAR  a variable that existed before changed (hashes and
#                         arrays to three levels)
#       new PKG::VAR      a variable appeared in a package that existed before
#       sub PKG::SUB      a sub appeared in a package that existed before
#       declared PKG::SUB a sub was declared (no body: AUTOLOAD would define it)
#
#   perl load-audit.pl format-effects LIB FILE...
#     Loads each FILE in turn, with AddCompositeTags recorded and not made,
#     as worker.pl preloads format modules, and prints "FILE EFFECT" for
#     what remains: what the worker does not handle.
#
#   perl load-audit.pl reversal LIB FILE...
#     Compiles FILE... in this order and in reverse, each in a child, and
#     prints "differs SUB" for each sub whose code depends on that order.
#
#   perl load-audit.pl order LIB PRELOADED,... FILE...
#     For each FILE, in a child of its own, compares the compiled code (op
#     trees of named subs) of FILE and of the PRELOADED files when FILE is
#     compiled before them (as in a new process that needs FILE first) and
#     after them (as in a worker child); prints "differs FILE SUB" for each
#     sub whose code depends on that order (a prototype or an inlined constant
#     of the other side), or "failed FILE: reason".
use strict;
use warnings;
use B ();
use POSIX ();

my ($mode, $lib, @rest) = @ARGV;
die "usage: load-audit.pl effects|order LIB[:LIB...] ...\n" unless $mode and $lib and @rest;
unshift @INC, split /:/, $lib;
require Image::ExifTool;

# Perl's own bookkeeping and Exporter's caches, not ExifTool's state
my %volatile = map { $_ => 1 } qw(main:: B:: POSIX:: Carp:: Exporter:: warnings:: strict::
    utf8:: re:: Internals:: DynaLoader:: XSLoader:: Config:: CORE:: UNIVERSAL:: PerlIO::
    Tie:: Regexp:: IO:: version:: mro:: constant:: overload:: Scalar:: List:: vars::);

sub stashes {
    my ($name, $list) = @_;
    no strict 'refs';
    for my $key (sort keys %{$name}) {
        next unless $key =~ /::$/ and $key ne 'main::';
        my $sub = $name eq 'main::' ? $key : "$name$key";
        next if $volatile{$key} and $name eq 'main::';
        push @$list, $sub;
        stashes($sub, $list);
    }
    return $list;
}

# a value to $depth levels of hashes and arrays below it; deeper, its address
sub render {
    my ($value, $depth) = @_;
    return 'undef' unless defined $value;
    return "$value" unless $depth > 0 and ref $value and (ref $value eq 'HASH' or ref $value eq 'ARRAY');
    return '{' . join(',', map { "$_=" . render($value->{$_}, $depth - 1) } sort keys %$value) . '}'
        if ref $value eq 'HASH';
    return '[' . join(',', map { render($_, $depth - 1) } @$value) . ']';
}

# every variable and sub of every package: name => fingerprint
sub snapshot {
    my %state;
    no strict 'refs';
    for my $stash (@{ stashes('main::', []) }) {
        for my $name (keys %{$stash}) {
            next if $name =~ /::$/ or $name eq 'EXPORT' or $name eq 'EXPORT_FAIL';
            my $glob = \${$stash}{$name};
            next unless ref $glob eq 'GLOB';
            my $full = "$stash$name";
            $state{"\$$full"} = render(${*$glob{SCALAR}}, 3) if defined ${*$glob{SCALAR}};
            $state{"\@$full"} = render(*$glob{ARRAY}, 3) if *$glob{ARRAY} and @{*$glob{ARRAY}};
            $state{"%$full"} = render(*$glob{HASH}, 3) if *$glob{HASH} and %{*$glob{HASH}};
            # a declared sub without a body (AUTOLOAD defines it) is told apart
            $state{"&$full"} = B::svref_2object(*$glob{CODE})->ROOT->isa('B::NULL') && !B::svref_2object(*$glob{CODE})->XSUB
                ? 'declared' : 0 + *$glob{CODE}
                if *$glob{CODE};
        }
    }
    return \%state;
}

sub base {
    Image::ExifTool::GetTagTable('Image::ExifTool::Exif::Main');
    require Image::ExifTool::XMP;
}

sub effects {
    my @files = @_;
    base();
    # packages that existed before, but for the loaded modules' own
    my %own = map { (my $p = $_) =~ s{/}{::}g; $p =~ s/\.pm$/::/; $p => 1 } grep { /\.pm$/ } @files;
    my %packages = map { $_ => 1 } grep { !$own{$_} } @{ stashes('main::', []) };
    my $before = snapshot();
    my $log = log_calls($before);
    $log->{on} = 1;
    require $_ for @files;
    $log->{on} = 0;
    print "$_\n" for differences($before, snapshot(), \%packages, $log->{calls});
}

# Every ExifTool sub in the snapshot reports its calls, by its own name,
# while $log->{on}; the snapshot is updated to the wrappers, so that they are
# no difference. A sub imported under other names (Exporter's :Utils) gets
# one wrapper under all of them, so that importing it again changes nothing.
sub log_calls {
    my ($state) = @_;
    my $log = { on => 0, calls => [] };
    my %wrapper;
    for my $key (sort grep { /^&Image::ExifTool::/ and $state->{$_} ne 'declared' } keys %$state) {
        my $name = substr($key, 1);
        next if $name =~ /::(BEGIN|END|DESTROY|import|unimport)$/;
        no strict 'refs';
        no warnings 'redefine';
        my $code = \&{$name};
        $wrapper{0 + $code} ||= do {
            # (a stand-in installed under a name, as format_effects does, is anonymous)
            my $gv = B::svref_2object($code)->GV;
            my $own = $gv->NAME eq '__ANON__' ? $name : $gv->STASH->NAME . '::' . $gv->NAME;
            my $wrapper = sub { push @{ $log->{calls} }, $own if $log->{on}; goto &$code };
            Scalar::Util::set_prototype(\&$wrapper, prototype($code));
            $wrapper;
        };
        *{$name} = $wrapper{0 + $code};
        $state->{$key} = 0 + $wrapper{0 + $code};
    }
    return $log;
}

# the effects between two snapshots in the packages given, calls first
sub differences {
    my ($before, $after, $packages, $calls) = @_;
    my %seen;
    my @found = map { "call $_" } grep { !$seen{$_}++ } @$calls;
    for my $key (sort keys %$after) {
        my ($sigil, $pkg) = $key =~ /^(.)(.*::)/;
        next unless $packages->{$pkg};
        my $name = substr($key, $sigil eq '&' ? 1 : 0);
        if (not exists $before->{$key}) {
            push @found, ($sigil ne '&' ? 'new' : $after->{$key} eq 'declared' ? 'declared' : 'sub') . " $name";
        } elsif ($before->{$key} eq 'declared' and $sigil eq '&') {
            push @found, "defined $name" unless $after->{$key} eq 'declared';
        } elsif ($before->{$key} ne $after->{$key}) {
            push @found, "changed $key";
        }
    }
    push @found, map { "changed $_" } grep { !exists $after->{$_} } sort keys %$before;
    return @found;
}

# Each FILE loaded in turn after the base, as worker.pl's format preloading
# loads them: AddCompositeTags recorded, not made. Prints "FILE EFFECT" for
# each effect outside the code of the files that load brought in (EFFECT as
# in effects; "call Image::ExifTool::AddCompositeTags" is a registration the
# worker records); and "FILE end-block PATH" for each END block it compiles,
# which a worker child runs at its exit whether or not its file needed FILE.
sub end_blocks {
    my $blocks = B::end_av;
    return {} unless ref $blocks eq 'B::AV';
    return { map { $$_ => $_->FILE } $blocks->ARRAY };
}

sub format_effects {
    my @files = @_;
    base();
    no strict 'refs';
    no warnings 'redefine';
    my $add = \&Image::ExifTool::AddCompositeTags;
    my $record = sub { };
    Scalar::Util::set_prototype(\&$record, prototype($add));
    *Image::ExifTool::AddCompositeTags = $record;
    my $log = log_calls(snapshot());
    # one load's state after is the next one's before
    my $before = snapshot();
    for my $file (@files) {
        my %loaded = %INC;
        my %packages = map { $_ => 1 } @{ stashes('main::', []) };
        $log->{calls} = [];
        $log->{on} = 1;
        my $ends = end_blocks();
        require $file;
        $log->{on} = 0;
        my $endsAfter = end_blocks();
        print "$file end-block $endsAfter->{$_}\n" for grep { !$ends->{$_} } sort keys %$endsAfter;
        my $after = snapshot();
        # the packages of every file this load brought in are its own code
        for my $new (grep { !exists $loaded{$_} and /\.pm$/ } keys %INC) {
            (my $own = $new) =~ s{/}{::}g;
            $own =~ s/\.pm$/::/;
            delete $packages{$own};
        }
        print "$file $_\n" for differences($before, $after, \%packages, $log->{calls});
        $before = $after;
    }
}

# op names and flags of a sub's tree: what a prototype or an inlined constant
# changes. Two bits only record whether the callee existed when the call was
# compiled, with no effect on what it does (the call's return target, and
# "called too early to check prototype"): they are left out.
sub optree {
    my ($op, $out) = @_;
    return unless $op and $$op;
    my $private = $op->private;
    $private &= ~4 if $op->name eq 'entersub';    # OPpENTERSUB_HASTARG
    $private &= ~32 if $op->name eq 'gv';         # OPpEARLY_CV
    push @$out, join(':', $op->name, $op->flags, $private);
    if ($op->flags & B::OPf_KIDS) {
        for (my $kid = $op->first; $$kid; $kid = $kid->sibling) { optree($kid, $out) }
    }
}

# name => op tree of every named sub compiled from one of @paths
sub code_of {
    my %paths = map { $_ => 1 } @_;
    my %code;
    no strict 'refs';
    for my $stash ('main::', @{ stashes('main::', []) }) {
        for my $name (keys %{$stash}) {
            my $glob = \${$stash}{$name};
            next unless ref $glob eq 'GLOB' and *$glob{CODE};
            my $cv = B::svref_2object(*$glob{CODE});
            next if $cv->XSUB or not $paths{ $cv->FILE };
            my @ops;
            optree($cv->ROOT, \@ops);
            $code{"$stash$name"} = join(' ', @ops);
        }
    }
    return \%code;
}

# whether a call compiled after this sub exists differs from one before it
sub shapes_calls {
    my ($name) = @_;
    no strict 'refs';
    my $code = \&{$name};
    return defined prototype($code) || B::svref_2object($code)->CvFLAGS & B::CVf_CONST;
}

# the paths of the files one require compiles
sub compiled_by {
    my ($file) = @_;
    my %before = %INC;
    require $file;
    return map { $INC{$_} } grep { !exists $before{$_} and defined $INC{$_} } keys %INC;
}

# runs $code in a child of its own; returns what it printed
sub in_child { return (in_children($_[0]))[0] }

# runs each code in a child of its own, two at a time (this machine's cores);
# returns what each printed, in order
sub in_children {
    my @codes = @_;
    # required here, not at the top: the audited loads must find it unloaded,
    # as a worker does
    require File::Temp;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    my (%running, @out);
    my $reap = sub {
        my $pid = waitpid(-1, 0);
        my $index = delete $running{$pid};
        return unless defined $index;
        open(my $fh, '<', "$dir/$index") or die "$dir/$index: $!\n";
        $out[$index] = do { local $/; <$fh> };
    };
    for my $index (0 .. $#codes) {
        $reap->() while keys %running >= 2;
        my $pid = fork;
        die "fork: $!\n" unless defined $pid;
        if (!$pid) {
            my $result = eval { $codes[$index]->() };
            $result = "failed: $@" unless defined $result;
            open(my $fh, '>', "$dir/$index") or POSIX::_exit(1);
            print $fh $result;
            close $fh;
            POSIX::_exit(0);
        }
        $running{$pid} = $index;
    }
    $reap->() while keys %running;
    return @out;
}

sub serialize { my ($code) = @_; return join('', map { "$_\t$code->{$_}\n" } sort keys %$code) }
sub parse { my %code = map { split /\t/, $_, 2 } split /\n/, $_[0]; return \%code }

# what a file needs compiled before it: a WriteX.pl is loaded (by AUTOLOAD)
# only once X.pm is
sub with_prerequisite {
    my ($file) = @_;
    return ("Image/ExifTool/$1.pm", $file)
        if $file =~ m{^Image/ExifTool/Write(\w+)\.pl$} and grep { -e "$_/Image/ExifTool/$1.pm" } @INC;
    return ($file);
}

sub order {
    my ($preloaded, @files) = @_;
    my @preloads = split /,/, $preloaded;
    base();
    local $SIG{__WARN__} = sub {};
    # a preloaded file's code can only depend on subs it names: by their
    # full name, or by their own within their package
    my %named;
    for my $preload (@preloads) {
        my ($path) = grep { -e } map { "$_/$preload" } @INC;
        open(my $fh, '<', $path) or die "$preload: $!\n";
        my $source = do { local $/; <$fh> };
        my @packages = $source =~ /^\s*package\s+([\w:]+)\s*;/mg;
        $named{$preload}{$_} = 1 for $source =~ /\b((?:\w+::)+\w+)/g;
        for my $word ($source =~ /\b(\w+)\b/g) {
            $named{$preload}{"${_}::$word"} = 1 for @packages;
        }
    }
    # as in a new process that needs FILE first: FILE, then the preloaded
    # files in their order, up to the last that names a sub of FILE's whose
    # calls compile differently once it exists (a prototype, a constant)
    my %fresh;
    @fresh{@files} = in_children(map { my $file = $_; sub {
            my $mine = code_of(map { compiled_by($_) } with_prerequisite($file));
            my @names = map { s/^main:://r } grep { shapes_calls($_) } keys %$mine;
            my ($last) = grep { my $words = $named{ $preloads[$_] }; grep { $words->{$_} } @names }
                reverse 0 .. $#preloads;
            my $theirs = defined $last ? code_of(map { compiled_by($_) } @preloads[0 .. $last]) : {};
            return serialize($mine) . "--\n" . serialize($theirs);
        } } @files);
    # as in a worker child: the preloaded files first (compiled once, here)
    my $preloadedFirst = code_of(map { compiled_by($_) } @preloads);
    my %child;
    @child{@files} = in_children(
        map { my $file = $_; sub { serialize(code_of(map { compiled_by($_) } with_prerequisite($file))) } } @files);
    for my $file (@files) {
        my $child = $child{$file};
        if ($fresh{$file} =~ /^failed: (.*)/s or $child =~ /^failed: (.*)/s) {
            (my $why = $1) =~ s/\n.*//s;
            print "failed $file: $why\n";
            next;
        }
        my ($freshMine, $freshTheirs) = map { parse($_) } split /^--\n/m, $fresh{$file}, 2;
        my $childMine = parse($child);
        for my $sub (sort keys %$childMine) {
            print "differs $file $sub\n"
                if exists $freshMine->{$sub} and $freshMine->{$sub} ne $childMine->{$sub};
        }
        for my $sub (sort keys %$preloadedFirst) {
            print "differs $file $sub\n"
                if exists $freshTheirs->{$sub} and $freshTheirs->{$sub} ne $preloadedFirst->{$sub};
        }
    }
}

# FILEs compiled in the order given and in the reverse order, each in a
# child of its own: a sub whose code depends on which of two files came
# first differs between the two (a worker's parent compiles them in its own
# order, a new process in the order its file needs them)
sub reversal {
    my @files = @_;
    base();
    local $SIG{__WARN__} = sub {};
    my ($forward, $backward) = map {
        my @order = @$_;
        in_child(sub { serialize(code_of(map { compiled_by($_) } @order)) });
    } [@files], [reverse @files];
    for my $out ($forward, $backward) {
        if ($out =~ /^failed: (.*)/s) { (my $why = $1) =~ s/\n.*//s; print "failed: $why\n"; return }
    }
    my ($a, $b) = (parse($forward), parse($backward));
    for my $sub (sort keys %$a) {
        print "differs $sub\n" if exists $b->{$sub} and $a->{$sub} ne $b->{$sub};
    }
}

require Scalar::Util;
if ($mode eq 'reversal') {
    reversal(@rest);
} elsif ($mode eq 'effects') {
    effects(@rest);
} elsif ($mode eq 'format-effects') {
    format_effects(@rest);
} elsif ($mode eq 'order') {
    order(@rest);
} else {
    die "unknown mode $mode\n";
}
