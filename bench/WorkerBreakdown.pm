# Where a worker's CPU goes, for the benchmark: loaded with
# `perl -MWorkerBreakdown=FILE worker.pl ...`, it wraps the worker's fork,
# waitpid and POSIX::_exit and ExifTool's ImageInfo with process CPU clocks,
# and appends one line per object to FILE:
#   child:  "C pid setup imageInfo output peak" (ns of the child's CPU: from
#           the fork to ImageInfo, ImageInfo itself, from there to
#           POSIX::_exit; its peak resident memory, KiB, shared pages included)
#   parent: "P pid fork total parent" (ns of the parent's CPU inside fork;
#           the child's whole CPU and the parent's since its previous child,
#           from times(), whose ticks add up exactly over many objects)
# The child's exit (teardown after POSIX::_exit) is total - setup - imageInfo
# - output. worker.pl is run unchanged; the clocks cost microseconds.
package WorkerBreakdown;
use strict;
use warnings;
use Time::HiRes qw(clock_gettime CLOCK_PROCESS_CPUTIME_ID);

my $file;
my %started;    # this child's CPU at each phase's start
my $parentMark;

sub import { $file = $_[1] or die "usage: perl -MWorkerBreakdown=FILE worker.pl ...\n" }

sub cpu_ns { int(clock_gettime(CLOCK_PROCESS_CPUTIME_ID) * 1e9) }

sub record {
    open(my $fh, '>>', $file) or return;
    print $fh "@_\n";
    close $fh;
}

# the ExifTool pieces exist only once worker.pl has loaded them: wrapped at
# the first fork, in the parent, so every child inherits the wrappers
my $wrapped;
sub wrap_exiftool {
    $wrapped = 1;
    no warnings 'redefine';
    my $imageInfo = \&Image::ExifTool::ImageInfo;
    *Image::ExifTool::ImageInfo = sub {
        $started{imageInfo} = cpu_ns();
        my @info = wantarray ? $imageInfo->(@_) : scalar $imageInfo->(@_);
        $started{output} = cpu_ns();
        return wantarray ? @info : $info[0];
    };
    my $exit = \&POSIX::_exit;
    *POSIX::_exit = sub {
        if (defined $started{output}) {
            my $now = cpu_ns();
            record('C', $$, $started{imageInfo}, $started{output} - $started{imageInfo}, $now - $started{output}, peak_kib());
        }
        $exit->(@_);
    };
}

sub peak_kib {
    open(my $fh, '<', '/proc/self/status') or return 0;
    while (<$fh>) { return $1 if /^VmHWM:\s+(\d+)/ }
    return 0;
}

sub cpu_ticks_ns {
    my ($user, $system, $childUser, $childSystem) = times;
    return (int(($user + $system) * 1e9), int(($childUser + $childSystem) * 1e9));
}

my ($forkNs, $childrenBefore);
BEGIN {
    *CORE::GLOBAL::fork = sub {
        wrap_exiftool() unless $wrapped;
        my $before = cpu_ns();
        ($parentMark, $childrenBefore) = cpu_ticks_ns() unless defined $parentMark;
        my $pid = CORE::fork();
        if (defined $pid and $pid == 0) {
            %started = ();
        } else {
            $forkNs = cpu_ns() - $before;
        }
        return $pid;
    };
    *CORE::GLOBAL::waitpid = sub {
        my $pid = CORE::waitpid($_[0], $_[1]);
        my $status = $?;
        my ($self, $children) = cpu_ticks_ns();
        record('P', $pid, $forkNs, $children - $childrenBefore, $self - $parentMark);
        ($parentMark, $childrenBefore) = ($self, $children);
        $? = $status;
        return $pid;
    };
}

1;
