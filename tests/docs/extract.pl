#!/usr/bin/perl
# extract.pl FILE.md... - every `rmapcheck` command the documentation shows,
# one per output line, tab-separated:
#
#   run   FILE LINE COMMAND   a command line of a code block (fenced with no
#                             language, sh, shell, bash or console; or
#                             indented by four spaces after a blank line):
#                             a line that starts with `rmapcheck `,
#                             `build/release/tool/rmapcheck `, or is a shell
#                             line (for, parallel, seq | xargs) that runs it; in a
#                             block with `$ ` prompts only the prompted lines
#   span  FILE LINE TEXT      an inline code span `rmapcheck SUB ...` of the
#                             prose or of a table (a span may wrap a line)
#
# tests/docs/docs_commands.sh runs the first kind and checks the flags of both.
use strict;
use warnings;

sub is_command {
  my ($s) = @_;
  return $s =~ m{^(?:build/release/tool/)?rmapcheck\s} || $s =~ m{^(?:for|parallel|seq|xargs)\s.*\brmapcheck\s};
}

for my $file (@ARGV) {
  open(my $fh, '<', $file) or die "extract.pl: $file: $!\n";
  my @lines = <$fh>;
  close $fh;
  chomp @lines;
  my @prose;    # [line number, text] of every line outside code blocks
  my $i = 0;
  while ($i < @lines) {
    my $l = $lines[$i];
    my @block;    # [line number, text] of one code block
    if ($l =~ /^\s*```\s*(\S*)/) {
      my $lang = $1;
      ++$i;
      while ($i < @lines && $lines[$i] !~ /^\s*```/) { push @block, [$i + 1, $lines[$i]]; ++$i; }
      ++$i;
      next unless $lang =~ /^(|sh|shell|bash|console)$/;
    } elsif ($l =~ /^(    |\t)/ && ($i == 0 || $lines[$i - 1] =~ /^\s*$/)) {
      while ($i < @lines && ($lines[$i] =~ /^(    |\t)/ || $lines[$i] =~ /^\s*$/)) {
        push @block, [$i + 1, $lines[$i]];
        ++$i;
      }
    } else {
      push @prose, [$i + 1, $l];
      ++$i;
      next;
    }
    my $prompted = grep { $_->[1] =~ /^\s*\$ / } @block;
    for my $b (@block) {
      my ($n, $text) = @$b;
      $text =~ s/^\s+//;
      if ($prompted) {
        next unless $text =~ s/^\$ //;
      }
      print "run\t$file\t$n\t$text\n" if is_command($text);
    }
  }
  # Inline spans: join the prose so that a span may wrap a line.
  my $joined = '';
  my @at;    # the line number of each character of $joined
  for my $p (@prose) {
    my ($n, $text) = @$p;
    $joined .= "$text\n";
    push @at, ($n) x (length($text) + 1);
  }
  while ($joined =~ /(?<!`)`((?:build\/release\/tool\/)?rmapcheck[ \n][^`]*)`(?!`)/g) {
    my $span = $1;
    my $n = $at[$-[0]];
    $span =~ s/\s+/ /g;
    print "span\t$file\t$n\t$span\n";
  }
}
