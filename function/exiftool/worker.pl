#!/usr/bin/perl
# Warm ExifTool worker.
#
# Runs the exiftool application itself in -stay_open mode, so its JSON output
# is exactly what `exiftool -json` prints, but teaches it one extra "file": the
# fixed pseudo path in OBJECT_PATH. Opening that path ties the handle to a
# reader whose reads and seeks are answered by the Node side over fd 3/4, so
# ExifTool sees a random-access file while only the ranges it asks for are
# fetched from S3. The object's real name never appears among exiftool's
# arguments: it comes over the side channel, where no byte of it can be read
# as an option.
#
# Usage: perl worker.pl PATH/TO/exiftool   (stdin/stdout/stderr: exiftool's
# own -stay_open protocol; fd 3: replies from Node; fd 4: requests to Node).
# ARCHITECTURE.md documents the frames.
use strict;
use warnings;
use Scalar::Util ();

use constant OBJECT_PATH => '/dev/null/s3-object';

my $exiftool = shift @ARGV or die "usage: worker.pl PATH/TO/exiftool\n";
my ($exeDir) = $exiftool =~ m{^(.*)[\\/]} ? ($1) : ('.');
unshift @INC, "$exeDir/lib";
require Image::ExifTool;

open(my $replies, '<&=', 3) or die "worker: cannot open fd 3 (replies): $!\n";
open(my $requests, '>&=', 4) or die "worker: cannot open fd 4 (requests): $!\n";
binmode $replies;
binmode $requests;
{ my $old = select $requests; $| = 1; select $old; }

sub read_exact {
    my ($len) = @_;
    my $buf = '';
    while (length($buf) < $len) {
        my $n = sysread($replies, $buf, $len - length($buf), length $buf);
        die "worker: side channel closed\n" unless $n;
    }
    return $buf;
}

# One request frame out, one reply frame back: 1-byte type, u32 length, payload.
sub call_node {
    my ($type, $payload) = @_;
    print $requests pack('a1 N', $type, length $payload), $payload;
    my ($rtype, $len) = unpack('a1 N', read_exact(5));
    return ($rtype, read_exact($len));
}

# The object being extracted, as Node describes it: name, directory, size and
# Last-Modified (Unix seconds). Asked afresh each time, so this side keeps no
# state between objects.
sub current_object {
    my ($type, $payload) = call_node('O', '');
    die "worker: unexpected reply '$type' to open\n" unless $type eq 'I';
    my ($size, $mtime, $dirLen) = unpack('Q> Q> N', $payload);
    my $dir = substr($payload, 20, $dirLen);
    my $name = substr($payload, 20 + $dirLen);
    return { size => $size, mtime => $mtime, dir => $dir, name => $name };
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
# compiled later (the exiftool script) see the same signature.
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
    # the object is the only file this process may open (besides stdin, the
    # -stay_open argument stream): whatever an option or a file's content
    # asks for, no other file is read or written
    return $original{Open}->(@_) if defined $file and $file eq '-' and (not defined $mode or $mode eq '<');
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

# Run the real application; its BEGIN block finds its lib/ from $0.
$0 = $exiftool;
@ARGV = ('-stay_open', 'True', '-@', '-');
my $rc = do $exiftool;
die "worker: cannot run $exiftool: " . ($@ || $!) . "\n" unless defined $rc;
exit 0;

# A read-only file handle whose bytes live on the Node side.
package S3ObjectHandle;

# ExifTool reads in small pieces (a few bytes of a header, then a seek); each
# piece would be a round trip to Node. Reads are served from one aligned
# window of READ_CHUNK bytes instead; Node sets it to its block size, so a
# window is blocks Node fetches from S3 anyway and this saves round trips
# without reading more of the object. S3_EXIFTOOL_READ_CHUNK=0 turns it off,
# to see ExifTool's own reads.
use constant READ_CHUNK => defined $ENV{S3_EXIFTOOL_READ_CHUNK} ? $ENV{S3_EXIFTOOL_READ_CHUNK} : 65536;

sub TIEHANDLE {
    my ($class, $size) = @_;
    return bless { pos => 0, size => $size, start => 0, data => '' }, $class;
}

sub fetch {
    my ($self, $offset, $len) = @_;
    my ($type, $payload) = main::call_node('R', pack('Q> N', $offset, $len));
    # 'E': the range could not be read; Node keeps the reason and reports
    # it instead of whatever ExifTool makes of a short file
    return $type eq 'D' ? $payload : '';
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
sub FILENO { undef }
sub WRITE { 0 }
sub PRINT { 0 }
sub PRINTF { 0 }
