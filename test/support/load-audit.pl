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
#                         arrays to two levels)
#       new PKG::VAR      a variable appeared in a package that existed before
#       sub PKG::SUB      a sub appeared in a package that existed before
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

sub shallow {
    my ($value) = @_;
    return 'undef' unless defined $value;
    if (ref $value eq 'HASH') {
        return '{' . join(',', map { "$_=" . (defined $value->{$_} ? $value->{$_} : 'undef') } sort keys %$value) . '}';
    }
    if (ref $value eq 'ARRAY') {
        return '[' . join(',', map { defined $_ ? $_ : 'undef' } @$value) . ']';
    }
    return "$value";
}

sub two_levels {
    my ($ref) = @_;
    if (ref $ref eq 'HASH') {
        return join(';', map { "$_=" . shallow($ref->{$_}) } sort keys %$ref);
    }
    return join(';', map { shallow($_) } @$ref);
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
            $state{"\$$full"} = shallow(${*$glob{SCALAR}}) if defined ${*$glob{SCALAR}};
            $state{"\@$full"} = two_levels(*$glob{ARRAY}) if *$glob{ARRAY} and @{*$glob{ARRAY}};
            $state{"%$full"} = two_levels(*$glob{HASH}) if *$glob{HASH} and %{*$glob{HASH}};
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
    # every sub that exists now reports its calls while the files load
    my ($auditing, @calls) = (0);
    my $before = snapshot();
    for my $key (grep { /^&/ } keys %$before) {
        my $name = substr($key, 1);
        next if $before->{$key} eq 'declared';
        next if $name =~ /::(BEGIN|END|DESTROY|import|unimport)$/ or $name !~ /^Image::ExifTool::/;
        no strict 'refs';
        no warnings 'redefine';
        my $code = \&{$name};
        my $wrapper = sub { push @calls, $name if $auditing; goto &$code };
        Scalar::Util::set_prototype(\&$wrapper, prototype($code));
        *{$name} = $wrapper;
        $before->{$key} = 0 + $wrapper;
    }
    $auditing = 1;
    require $_ for @files;
    $auditing = 0;
    my $after = snapshot();
    my %seen;
    print "call $_\n" for grep { !$seen{$_}++ } @calls;
    for my $key (sort keys %$after) {
        my ($sigil, $pkg) = $key =~ /^(.)(.*::)/;
        next unless $packages{$pkg};
        if (not exists $before->{$key}) {
            print $sigil eq '&' ? 'sub ' : 'new ', substr($key, $sigil eq '&' ? 1 : 0), "\n";
        } elsif ($before->{$key} eq 'declared' and $sigil eq '&') {
            print 'defined ', substr($key, 1), "\n" unless $after->{$key} eq 'declared';
        } elsif ($before->{$key} ne $after->{$key}) {
            print "changed $key\n";
        }
    }
    for my $key (sort keys %$before) {
        print "changed $key\n" unless exists $after->{$key};
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

# the paths of the files one require compiles
sub compiled_by {
    my ($file) = @_;
    my %before = %INC;
    require $file;
    return map { $INC{$_} } grep { !exists $before{$_} and defined $INC{$_} } keys %INC;
}

# runs $code in a child of its own; returns what it printed
sub in_child {
    my ($code) = @_;
    pipe(my $read, my $write) or die "pipe: $!\n";
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if (!$pid) {
        close $read;
        my $out = eval { $code->() };
        $out = "failed: $@" unless defined $out;
        print $write $out;
        close $write;
        POSIX::_exit(0);
    }
    close $write;
    my $out = do { local $/; <$read> };
    waitpid($pid, 0);
    return $out;
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
    # the preloaded files' code can only depend on subs they name
    my %named;
    for my $preload (@preloads) {
        my ($path) = grep { -e } map { "$_/$preload" } @INC;
        open(my $fh, '<', $path) or die "$preload: $!\n";
        $named{$_} = 1 for do { local $/; <$fh> } =~ /(\w+)/g;
    }
    # as in a new process that needs FILE first: FILE, then the preloaded
    # files (compiled only if FILE defines a sub they name)
    my %fresh;
    for my $file (@files) {
        $fresh{$file} = in_child(sub {
            my $mine = code_of(map { compiled_by($_) } with_prerequisite($file));
            my $theirs = {};
            if (grep { /(\w+)$/ and $named{$1} } keys %$mine) {
                $theirs = code_of(map { compiled_by($_) } @preloads);
            }
            return serialize($mine) . "--\n" . serialize($theirs);
        });
    }
    # as in a worker child: the preloaded files first (compiled once, here)
    my $preloadedFirst = code_of(map { compiled_by($_) } @preloads);
    for my $file (@files) {
        my $child = in_child(sub { serialize(code_of(map { compiled_by($_) } with_prerequisite($file))) });
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

require Scalar::Util;
if ($mode eq 'effects') {
    effects(@rest);
} elsif ($mode eq 'order') {
    order(@rest);
} else {
    die "unknown mode $mode\n";
}
